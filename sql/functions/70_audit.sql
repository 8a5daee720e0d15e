-- The audit trail of the back office: one append-only row per action.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

CREATE OR REPLACE FUNCTION staff_audit_add(p_staff_id bigint, p_login text, p_action text, p_order_id text,
                                p_subject text, p_before jsonb, p_after jsonb, p_detail text,
                                p_client inet)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    INSERT INTO staff_audit (staff_id, login, action, order_id, subject, before, after, detail, client_addr)
    VALUES (p_staff_id, left(p_login, 100), p_action, p_order_id, p_subject, p_before, p_after,
            p_detail, p_client)
$$;

COMMENT ON FUNCTION staff_audit_add(bigint, text, text, text, text, jsonb, jsonb, text, inet) IS
    'appends one staff_audit row (in the caller''s transaction)';

CREATE OR REPLACE FUNCTION admin.audit(p_staff_id bigint, p_action text, p_order_id text, p_from date,
                            p_to date, p_limit integer, p_offset integer)
RETURNS TABLE (id bigint, at timestamptz, login text, staff_name text, action text,
               action_name text, order_id text, subject text, before text, after text,
               detail text, client_addr text, total bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT x.id, x.at, x.login, s.name, x.action, aa.name, x.order_id, x.subject,
           x.before::text, x.after::text, x.detail, host(x.client_addr), count(*) OVER ()
    FROM staff_audit x
    JOIN audit_actions aa ON aa.code = x.action
    LEFT JOIN staff s ON s.id = x.staff_id
    WHERE (p_staff_id IS NULL OR x.staff_id = p_staff_id)
      AND (nullif(p_action, '') IS NULL OR x.action = p_action)
      AND (nullif(p_order_id, '') IS NULL OR x.order_id = p_order_id)
      AND (p_from IS NULL OR x.at >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND (p_to IS NULL OR x.at < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
    ORDER BY x.at DESC, x.id DESC
    LIMIT least(greatest(coalesce(p_limit, 50), 1), 500)
    OFFSET greatest(coalesce(p_offset, 0), 0)
$$;

COMMENT ON FUNCTION admin.audit(bigint, text, text, date, date, integer, integer) IS
    'the audit trail, newest first, by member, action, order and Beijing days; total = all matching rows';

CREATE OR REPLACE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
