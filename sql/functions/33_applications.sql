-- 我的申请: the applications still in the applicant's hands, drafts being
-- filled in and rejected orders waiting for their correction, each with
-- what is missing and where to continue.  我的订单 (api.orders) lists the
-- submitted ones; a rejected order is in both (it was submitted, and it
-- waits for the applicant).
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- Which orders are applications ----------------------------------------------

-- An application is an order whose next step is the applicant's editing:
-- order_editable() (a draft, or rejected to be corrected), the one
-- statement of it; being an inlined IN, it reads orders_account_state_idx.

-- how many applications the account has: GET /api/me's applications_count
-- (orders_account_state_idx reads the two states of one account)
CREATE OR REPLACE FUNCTION applications_count(p_account_id bigint)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = public, pg_temp
RETURN (SELECT count(*) FROM orders o
        WHERE o.account_id = p_account_id AND order_editable(o.state));

COMMENT ON FUNCTION applications_count(bigint) IS
    'the number of the account''s drafts and rejected orders (我的申请''s badge)';

-- When the applicant last changed an application: the order itself (its
-- state, delivery), its 基本信息, its 开票信息, a file uploaded or
-- removed (materials rows are only added or marked replaced).
CREATE OR REPLACE FUNCTION application_updated_at(p_order orders)
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = public, pg_temp
RETURN greatest(p_order.updated_at,
                (SELECT i.updated_at FROM order_info i WHERE i.order_id = p_order.id),
                (SELECT v.updated_at FROM order_invoice v WHERE v.order_id = p_order.id),
                (SELECT max(greatest(m.uploaded_at, m.replaced_at))
                 FROM materials m WHERE m.order_id = p_order.id));

COMMENT ON FUNCTION application_updated_at(orders) IS
    'the last change of an order by its applicant or its state: the order row, its information, invoice or files';

-- The API ---------------------------------------------------------------------

-- GET /api/applications: the account's drafts and rejected orders, the
-- most recently changed first.  "missing" is what the next step needs:
-- order_missing() for a draft (before its submission),
-- order_resubmit_missing() for a rejected order (before its resubmission,
-- with the files the rejection named); "rejection" the latest rejection
-- (order_rejection_json), null for a draft.  The state_name is the
-- applicant's, as in 我的订单.
CREATE OR REPLACE FUNCTION api.applications(p_token text, p_page integer, p_per_page integer)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       sessions := session_check(p_token, NULL, false);
    v_page  integer := greatest(coalesce(p_page, 1), 1);
    v_per   integer := least(greatest(coalesce(p_per_page, 20), 1), 100);
    v_rows  json;
    v_total bigint;
BEGIN
    WITH found AS (
        SELECT o AS ord, application_updated_at(o) AS updated_at
        FROM orders o
        WHERE o.account_id = s.account_id
          AND order_editable(o.state)
    ), page AS (
        SELECT f.*
        FROM found f
        ORDER BY f.updated_at DESC, (f.ord).id DESC
        LIMIT v_per OFFSET (v_page - 1)::bigint * v_per
    )
    SELECT (SELECT json_agg(json_build_object(
                        'id', (pg.ord).id,
                        'project', (pg.ord).project_code, 'project_name', p.name,
                        'service', (pg.ord).service, 'service_name', sv.name,
                        'cert_type', (pg.ord).cert_type, 'cert_type_name', ct.name,
                        'business', p.name || ' ' || ct.name || '-' || sv.short_name,
                        'name', coalesce(i.org_name, i.person_name, c.name),
                        'state', (pg.ord).state,
                        'state_name', order_state_applicant_name(st.name, (pg.ord).state,
                                                                 (pg.ord).delivery_method),
                        'created_at', (pg.ord).created_at,
                        'submitted_at', (pg.ord).submitted_at,
                        'updated_at', pg.updated_at,
                        'missing', CASE (pg.ord).state
                                       WHEN 'draft' THEN order_missing(pg.ord)
                                       ELSE order_resubmit_missing(pg.ord) END,
                        'rejection', CASE WHEN (pg.ord).state = 'rejected'
                                          THEN order_rejection_json((pg.ord).id) END,
                        'continue_url', '/order-edit.html?id=' || (pg.ord).id)
                      ORDER BY pg.updated_at DESC, (pg.ord).id DESC)
            FROM page pg
            JOIN projects p ON p.code = (pg.ord).project_code
            JOIN services sv ON sv.code = (pg.ord).service
            JOIN cert_types ct ON ct.code = (pg.ord).cert_type
            JOIN order_states st ON st.code = (pg.ord).state
            LEFT JOIN order_info i ON i.order_id = (pg.ord).id
            LEFT JOIN certificates c ON c.id = (pg.ord).certificate_id),
           (SELECT count(*) FROM found)
      INTO v_rows, v_total;

    RETURN json_build_object('applications', coalesce(v_rows, '[]'::json),
                             'page', v_page, 'per_page', v_per, 'total', v_total);
END
$$;

COMMENT ON FUNCTION api.applications(text, integer, integer) IS
    'GET /api/applications (我的申请): my drafts and rejected orders with what each misses, the rejection, where to continue; paged, most recently changed first';
