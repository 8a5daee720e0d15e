-- The texts applicants agree to (用户申请条款, 数字证书申请责任书): current
-- versions, what an order agreed to, publication from the back office.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- The current version of a code: NULL if the code has none
CREATE OR REPLACE FUNCTION agreement_current(p_code text)
RETURNS agreement_versions
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT * FROM agreement_versions WHERE code = p_code ORDER BY version DESC LIMIT 1
$$;

COMMENT ON FUNCTION agreement_current(text) IS 'the current (highest) version of an agreement, or NULL';

-- The applicant's answer to a text: p_agreed and the version p_version
-- they were shown.  Not agreed (or no version given): CH422 incomplete on
-- p_field; a version that is not the current one: CH409
-- agreement_changed, so that the text is read again.
CREATE OR REPLACE FUNCTION agreement_accepted(p_code text, p_agreed boolean, p_version integer,
                                   p_field text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    a agreements;
    v agreement_versions := agreement_current(p_code);
BEGIN
    SELECT * INTO STRICT a FROM agreements WHERE code = p_code;
    IF NOT coalesce(p_agreed, false) OR p_version IS NULL THEN
        PERFORM raise_api_error('CH422', 'incomplete',
                                format('请阅读并同意%s', a.name), p_field);
    END IF;
    IF v.version IS DISTINCT FROM p_version THEN
        PERFORM raise_api_error('CH409', 'agreement_changed',
                                format('《%s》已更新，请重新阅读后再确认', a.name), p_field);
    END IF;
    RETURN v.version;
END
$$;

COMMENT ON FUNCTION agreement_accepted(text, boolean, integer, text) IS
    'the current version of an agreement the applicant accepted: CH422 incomplete if not agreed, CH409 agreement_changed if the version shown is not the current one';

-- What an order agreed to, as [{"code","name","version","title","agreed_at"}]
-- in the agreements' order; [] when nothing yet
CREATE OR REPLACE FUNCTION order_agreements_json(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(json_build_object(
                   'code', a.code, 'name', a.name, 'version', v.version, 'title', v.title,
                   'agreed_at', x.agreed_at) ORDER BY a.sort_order), '[]'::json)
        FROM (VALUES (p_order.terms_code, p_order.terms_version, p_order.terms_agreed_at),
                     (p_order.agreement_code, p_order.agreement_version, p_order.agreed_at))
             AS x (code, version, agreed_at)
        JOIN agreements a ON a.code = x.code
        JOIN agreement_versions v ON (v.code, v.version) = (x.code, x.version));
END
$$;

COMMENT ON FUNCTION order_agreements_json(orders) IS 'the agreements an order was agreed with: code, name, version, title, agreed_at';

-- GET /api/orders/{id} shows them as "agreements" (order_json, 0010).


-- The API ---------------------------------------------------------------------

-- GET /api/agreements/{code}[?version=N]: public, no session
CREATE OR REPLACE FUNCTION api.agreement(p_code text, p_version integer)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    a agreements;
    v agreement_versions;
    c agreement_versions := agreement_current(p_code);
BEGIN
    SELECT * INTO a FROM agreements WHERE code = p_code;
    IF p_version IS NULL THEN
        v := c;
    ELSE
        SELECT * INTO v FROM agreement_versions WHERE code = p_code AND version = p_version;
    END IF;
    IF a.code IS NULL OR v.id IS NULL THEN
        PERFORM raise_api_error('CH404', 'agreement_not_found',
                                CASE WHEN a.code IS NULL THEN '协议不存在' ELSE '该版本不存在' END);
    END IF;
    RETURN json_build_object('code', a.code, 'name', a.name, 'version', v.version,
                             'title', v.title, 'body', v.body,
                             'published_at', v.published_at,
                             'current_version', c.version);
END
$$;

COMMENT ON FUNCTION api.agreement(text, integer) IS
    'GET /api/agreements/{code}: the current version of an agreement, or version p_version (CH404 agreement_not_found)';

-- The agreements with their current version, for the staff page
CREATE OR REPLACE FUNCTION admin.agreements()
RETURNS TABLE (code text, name text, version integer, title text, body text,
               published_at timestamptz, published_by text)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT a.code, a.name, v.version, v.title, v.body, v.published_at,
           coalesce(st.name || '（' || st.login || '）', '系统')
    FROM agreements a
    LEFT JOIN LATERAL agreement_current(a.code) v ON true
    LEFT JOIN staff st ON st.id = v.published_by
    ORDER BY a.sort_order
$$;

COMMENT ON FUNCTION admin.agreements() IS 'the agreements with their current version and who published it';

-- Every version of one agreement, newest first
CREATE OR REPLACE FUNCTION admin.agreement_versions(p_code text)
RETURNS TABLE (version integer, title text, published_at timestamptz, published_by text,
               orders bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT v.version, v.title, v.published_at,
           coalesce(st.name || '（' || st.login || '）', '系统'),
           (SELECT count(*) FROM orders o
            WHERE (v.code = 'user_terms' AND o.terms_version = v.version)
               OR (v.code = 'agreement' AND o.agreement_version = v.version))
    FROM agreement_versions v
    LEFT JOIN staff st ON st.id = v.published_by
    WHERE v.code = p_code
    ORDER BY v.version DESC
$$;

COMMENT ON FUNCTION admin.agreement_versions(text) IS 'the versions of an agreement, newest first, with who published each and how many orders agreed to it';

-- The text as staff typed it: line ends made LF, tabs spaces, blanks at the ends of
-- lines and of the whole dropped, runs of empty lines made one
CREATE OR REPLACE FUNCTION agreement_text(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN nullif(btrim(regexp_replace(regexp_replace(replace(replace(replace(p_text, E'\r\n', E'\n'),
                                                                           E'\r', E'\n'), E'\t', ' '),
                                                  E'[ \t\u3000]+\n', E'\n', 'g'),
                                   E'\n{3,}', E'\n\n', 'g'),
                    E' \t\n\u3000'), '');

COMMENT ON FUNCTION agreement_text(text) IS 'an agreement''s body as typed, normalised: LF line ends, no trailing blanks, at most one empty line in a row; NULL if empty';

-- A new version of an agreement, by an admin: the next version number,
-- the text checked, audited.  Returns the new version.
CREATE OR REPLACE FUNCTION admin.agreement_publish(p_token text, p_csrf text, p_client inet, p_code text,
                                        p_title text, p_body text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       record := staff_acting(p_token, p_csrf, 'admin');
    a       agreements;
    c       agreement_versions;
    v_title text := staff_text(p_title);
    v_body  text := agreement_text(p_body);
    v_new   integer;
BEGIN
    -- locked: two publications of one text get two numbers
    SELECT * INTO a FROM agreements WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'agreement_not_found', '协议不存在');
    END IF;
    IF v_title IS NULL OR char_length(v_title) NOT BETWEEN 2 AND 100 OR v_title ~ '[[:cntrl:]]' THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '标题须为2-100个字符', 'title');
    END IF;
    IF v_body IS NULL OR char_length(v_body) NOT BETWEEN 20 AND 6000 THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '正文须为20-6000个字符', 'body');
    END IF;
    IF v_body ~ '[\x01-\x09\x0b-\x1f\x7f]' THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '正文含有不可见的控制字符', 'body');
    END IF;

    c := agreement_current(p_code);
    IF (c.title, c.body) IS NOT DISTINCT FROM (v_title, v_body) THEN
        PERFORM raise_api_error('CH422', 'agreement_unchanged', '内容与当前版本相同，无需发布新版本', 'body');
    END IF;

    v_new := coalesce(c.version, 0) + 1;
    INSERT INTO agreement_versions (code, version, title, body, published_by)
    VALUES (p_code, v_new, v_title, v_body, s.staff_id);

    PERFORM staff_audit_add(s.staff_id, s.login, 'agreement_publish', NULL,
                            p_code || ' v' || v_new,
                            CASE WHEN c.version IS NOT NULL
                                 THEN jsonb_build_object('version', c.version, 'title', c.title) END,
                            jsonb_build_object('version', v_new, 'title', v_title),
                            a.name, p_client);
    RETURN v_new;
END
$$;

COMMENT ON FUNCTION admin.agreement_publish(text, text, inet, text, text, text) IS
    'publishes the next version of an agreement (admin role, CSRF): CH401, CH403, CH404 agreement_not_found, CH422 invalid_field (title, body) or agreement_unchanged; audited (agreement_publish); returns the version';

-- The agreements of one order, for its page
CREATE OR REPLACE FUNCTION admin.order_agreements(p_order_id text)
RETURNS TABLE (code text, name text, version integer, title text, agreed_at timestamptz)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT j->>'code', j->>'name', (j->>'version')::integer, j->>'title',
           (j->>'agreed_at')::timestamptz
    FROM json_array_elements(order_agreements_json(staff_order(p_order_id))) j
$$;

COMMENT ON FUNCTION admin.order_agreements(text) IS 'the agreement versions an order agreed to, and when (CH404 order_not_found)';

-- a published text never changes: what an order agreed to stays readable
-- as it was (TRUNCATE, for the tests' clean-ups, fires no row trigger)
CREATE OR REPLACE TRIGGER agreement_versions_append_only BEFORE UPDATE OR DELETE ON agreement_versions
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
