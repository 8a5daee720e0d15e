-- Schema v1, part 10: what blocks a certificate, and 基本信息 pre-filled
-- (issue #13).
--
--   api.certificates             each certificate names its open order (the
--                                one that blocks a new order for it) and
--                                whether the applicant may cancel it now
--   realname_requests.id_sealed  the verified ID number, sealed by the
--                                module under certhall_data_key
--   api.realname_callback_sealed the provider's result, keeping the seal
--   order_prefill()              the values the hall already knows for an
--   api.order_prefill            order's 基本信息, and where each came from
--
-- ID numbers stay sealed here: the module seals them (lib/ch_seal.c) and
-- opens them; SQL only hands the sealed text and what it is bound to.

SET LOCAL timezone = 'Asia/Shanghai';

-- The open order of a certificate -------------------------------------------

-- The order that blocks a new order for the certificate: the newest that
-- is neither completed nor cancelled (certificate_refusal's 409
-- order_exists names it), or NULL
CREATE FUNCTION certificate_open_order(p_cert_id bigint)
RETURNS orders
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT o FROM orders o
    WHERE o.certificate_id = p_cert_id AND o.state NOT IN ('completed', 'cancelled')
    ORDER BY o.created_at DESC, o.id DESC LIMIT 1
$$;
COMMENT ON FUNCTION certificate_open_order(bigint) IS
    'the open order (neither completed nor cancelled) of a certificate, the one that blocks a new order for it; NULL for none';

-- the open order as GET /api/certificates shows it, or NULL
CREATE FUNCTION certificate_open_order_json(p_cert_id bigint)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object(
        'id', o.id,
        'service', o.service,
        'service_name', sv.name,
        'state', o.state,
        'state_name', order_state_applicant_name(st.name, o.state, o.delivery_method),
        'created_at', o.created_at,
        'cancellable', order_actions(o)::jsonb ? 'cancel')
    FROM certificate_open_order(p_cert_id) o
    JOIN services sv ON sv.code = o.service
    JOIN order_states st ON st.code = o.state
    WHERE o.id IS NOT NULL
$$;
COMMENT ON FUNCTION certificate_open_order_json(bigint) IS
    'the open order of a certificate for GET /api/certificates: id, service, state and its name, and whether the applicant may cancel it now (cancellable); NULL for none';

-- GET /api/certificates, as in 0005, with each certificate's open order
CREATE OR REPLACE FUNCTION api.certificates(p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
BEGIN
    RETURN json_build_object('certificates', coalesce((
        SELECT json_agg(json_build_object(
                   'id', c.id, 'serial', c.serial, 'name', c.name,
                   'project', c.project_code, 'project_name', p.name,
                   'cert_type', c.cert_type, 'cert_type_name', ct.name,
                   'valid_from', c.valid_from, 'valid_to', c.valid_to,
                   'remaining_days', certificate_remaining_days(c.valid_to),
                   'ordered_here', c.order_id IS NOT NULL,
                   'open_order', certificate_open_order_json(c.id),
                   'services', (SELECT json_object_agg(sv.code,
                                    CASE WHEN r IS NULL THEN json_build_object('allowed', true)
                                         ELSE json_build_object('allowed', false,
                                                                'code', (r).code,
                                                                'message', (r).message) END
                                    ORDER BY sv.sort_order)
                                FROM services sv,
                                     LATERAL certificate_refusal(c, sv.code) r
                                WHERE sv.code <> 'new'))
                 ORDER BY c.valid_to DESC, c.id)
        FROM certificates c
        JOIN projects p ON p.code = c.project_code
        JOIN cert_types ct ON ct.code = c.cert_type
        WHERE c.account_id = s.account_id), '[]'::json));
END
$$;
COMMENT ON FUNCTION api.certificates(text) IS 'GET /api/certificates: the account''s certificates, remaining days, their open order (open_order) and which services may be ordered for each';

-- The verified ID number, sealed -------------------------------------------

ALTER TABLE realname_requests
    ADD COLUMN id_sealed text CHECK (id_sealed ~ '^v1\.[A-Za-z0-9_-]{40,200}$'),
    ADD CONSTRAINT realname_requests_sealed_verified CHECK (id_sealed IS NULL OR status = 'verified');
COMMENT ON COLUMN realname_requests.id_sealed IS
    'the ID number the provider verified, sealed by the module (AES-256-GCM under certhall_data_key, bound to "<request id>/realname_id"); NULL when the hall had no data key then, or before issue #13; opened only to pre-fill 基本信息';

-- POST /api/realname/callback: api.realname_callback() (0004) records the
-- result; when it verified the account, the sealed ID number is kept with
-- the request, in the same transaction.
CREATE FUNCTION api.realname_callback_sealed(p_request_id text, p_result text, p_name text,
                                             p_id_digest text, p_id_masked text, p_reason text,
                                             p_nonce text, p_id_sealed text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_answer json := api.realname_callback(p_request_id, p_result, p_name, p_id_digest,
                                           p_id_masked, p_reason, p_nonce);
BEGIN
    IF p_id_sealed IS NOT NULL THEN
        UPDATE realname_requests SET id_sealed = p_id_sealed
        WHERE id = p_request_id AND status = 'verified';
    END IF;
    RETURN v_answer;
END
$$;
COMMENT ON FUNCTION api.realname_callback_sealed(text, text, text, text, text, text, text, text) IS
    'POST /api/realname/callback: api.realname_callback(), and the sealed ID number kept when the request verified the account';

-- 基本信息 pre-filled -------------------------------------------------------

-- The order whose information a renewal, unlock or replacement starts
-- from: the order the certificate was issued for, else the latest
-- completed order for that certificate; the account's own, with its
-- information, never the order itself.  NULL for a new issuance or none.
CREATE FUNCTION order_earlier(p_order orders)
RETURNS orders
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT e FROM orders e
    JOIN certificates c ON c.id = p_order.certificate_id
    WHERE e.account_id = p_order.account_id AND e.id <> p_order.id
      AND e.cert_type = p_order.cert_type
      AND (e.id = c.order_id OR (e.certificate_id = c.id AND e.state = 'completed'))
      AND EXISTS (SELECT FROM order_info i WHERE i.order_id = e.id)
    ORDER BY e.id = c.order_id DESC, e.state_entered_at DESC, e.id DESC
    LIMIT 1
$$;
COMMENT ON FUNCTION order_earlier(orders) IS
    'the earlier order a renewal/unlock/replacement takes its 基本信息 from: the one its certificate was issued for, else the latest completed one for the certificate (the account''s, with information); NULL for none';

-- What the hall knows for the order's 基本信息, one row per field it can
-- suggest: the value, or for an ID number its sealed text and what it is
-- bound to (sealed_for, the associated data the module opens it with),
-- and where it came from:
--   realname  the account's verified identity: the person's name and ID
--             number (personal), the handler's name (org: the verified
--             person is the 经办人)
--   account   the account's phone
--   order     the earlier order (order_earlier): the organisation, its
--             legal person and ID number, the handler, email
-- The identity wins over the earlier order; a person's ID number comes
-- from the earlier order only when its name is the verified name.
CREATE FUNCTION order_prefill(p_order orders)
RETURNS TABLE (field text, value text, sealed_for text, source text, source_name text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    a  accounts;
    r  realname_requests;
    e  orders := order_earlier(p_order);
    i  order_info;
    c  certificates;
    v_who   text;
    v_order text;
BEGIN
    SELECT * INTO STRICT a FROM accounts WHERE id = p_order.account_id;
    IF a.realname_status = 'verified' THEN
        SELECT * INTO r FROM realname_requests q
        WHERE q.account_id = a.id AND q.status = 'verified' AND q.id_sealed IS NOT NULL
          AND q.name = a.realname_name AND q.id_digest = a.realname_id_digest
        ORDER BY q.finished_at DESC, q.id DESC LIMIT 1;
        v_who := a.realname_name;
    END IF;
    -- the certificate's subject names the organisation even when the
    -- certificate was issued elsewhere (no earlier order here)
    SELECT * INTO c FROM certificates WHERE id = p_order.certificate_id;
    IF e.id IS NOT NULL THEN
        SELECT * INTO STRICT i FROM order_info WHERE order_id = e.id;
        v_order := '原订单' || e.id;
    END IF;

    -- the first known value of each field, in the order listed
    RETURN QUERY
        SELECT DISTINCT ON (p.n) p.field, p.value, p.sealed_for, p.source, p.source_name
        FROM (VALUES
            ('org', 1, 1, 'org_name', i.org_name, NULL, 'order', v_order),
            ('org', 1, 2, 'org_name', c.name, NULL, 'certificate', '证书信息'),
            ('org', 2, 1, 'uscc', i.uscc, NULL, 'order', v_order),
            ('org', 3, 1, 'legal_name', i.person_name, NULL, 'order', v_order),
            ('org', 4, 1, 'legal_id_number', i.person_id_sealed, e.id || '/person_id', 'order', v_order),
            ('org', 5, 1, 'handler_name', v_who, NULL, 'realname', '实名认证信息'),
            ('org', 5, 2, 'handler_name', i.handler_name, NULL, 'order', v_order),
            ('personal', 1, 1, 'name', v_who, NULL, 'realname', '实名认证信息'),
            ('personal', 1, 2, 'name', i.person_name, NULL, 'order', v_order),
            ('personal', 2, 1, 'id_number', r.id_sealed, r.id || '/realname_id', 'realname', '实名认证信息'),
            ('personal', 2, 2, 'id_number', CASE WHEN v_who IS NULL OR i.person_name = v_who
                                                 THEN i.person_id_sealed END,
             e.id || '/person_id', 'order', v_order),
            (p_order.cert_type, 6, 1, 'mobile', a.phone, NULL, 'account', '账户手机号'),
            (p_order.cert_type, 6, 2, 'mobile', i.mobile, NULL, 'order', v_order),
            (p_order.cert_type, 7, 1, 'email', i.email, NULL, 'order', v_order))
            AS p (cert_type, n, rank, field, value, sealed_for, source, source_name)
        WHERE p.cert_type = p_order.cert_type AND p.value IS NOT NULL
        ORDER BY p.n, p.rank;
END
$$;
COMMENT ON FUNCTION order_prefill(orders) IS
    'the values suggested for the order''s 基本信息 (field, value or sealed ID number with the associated data it opens with, source, source_name): the verified identity, the account''s phone, the earlier order, the certificate''s subject';

-- GET /api/orders/{id}/prefill: the rows of order_prefill() for the
-- account's own order (404 for anyone else's); the module opens the
-- sealed ID numbers and writes the JSON.
CREATE FUNCTION api.order_prefill(p_token text, p_order_id text)
RETURNS TABLE (field text, value text, sealed_for text, source text, source_name text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
    o orders := applicant_order(s.account_id, p_order_id, false);
BEGIN
    RETURN QUERY SELECT * FROM order_prefill(o);
END
$$;
COMMENT ON FUNCTION api.order_prefill(text, text) IS
    'GET /api/orders/{id}/prefill: what the hall knows for the order''s 基本信息 and where each value came from (404 if not the account''s)';
