-- Certificates: remaining validity, what blocks a new order for one (its open
-- order), the refusals of 延期 / 解锁 / 补办, and GET /api/certificates.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- Beijing calendar days from today to the last day of validity: 0 on the
-- last day, negative once expired
CREATE OR REPLACE FUNCTION certificate_remaining_days(p_valid_to timestamptz)
RETURNS integer
LANGUAGE sql STABLE
RETURN (p_valid_to AT TIME ZONE 'Asia/Shanghai')::date
       - (now() AT TIME ZONE 'Asia/Shanghai')::date;

-- Whether an order for p_service may be made for the certificate now:
-- NULL, or why not.  The one statement of the rules (DESIGN.md, the seeds):
--   renew    expiring within the project's renewal window, or expired less
--            than 3 months ago (数字证书即将过期或已过期3个月内)
--   unlock   still valid
--   replace  still valid, and issued for an order of this hall (在线补办
--            业务只适用已完成在线新办的证书订单进行补办)
-- and no other open order (neither completed nor cancelled) for it.
CREATE OR REPLACE FUNCTION certificate_refusal(p_cert certificates, p_service text)
RETURNS refusal
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
-- "3 months" ends on a Beijing date whatever the session's zone
SET timezone = 'Asia/Shanghai'
AS $$
DECLARE
    v_window   integer;
    v_days     integer := certificate_remaining_days(p_cert.valid_to);
    v_valid    boolean := p_cert.valid_from <= now() AND now() < p_cert.valid_to;
    v_open     text;
BEGIN
    IF p_service = 'renew' THEN
        SELECT renewal_window_days INTO STRICT v_window
        FROM projects WHERE code = p_cert.project_code;
        -- in Beijing calendar days, as the screens count them, so that the
        -- refusal never says "30 days left" to a window of 30 days
        IF v_days > v_window THEN
            RETURN ROW(422, 'renewal_too_early',
                       format('证书有效期还剩%s天，到期前%s天内方可申请延期', v_days, v_window))::refusal;
        ELSIF now() >= p_cert.valid_to + interval '3 months' THEN
            RETURN ROW(422, 'renewal_too_late',
                       '证书已过期超过3个月，不能延期，请申请证书新办')::refusal;
        END IF;
    ELSIF p_service IN ('unlock', 'replace') THEN
        IF p_cert.valid_from > now() THEN
            RETURN ROW(422, 'certificate_not_valid', '证书尚未生效')::refusal;
        ELSIF NOT v_valid THEN
            RETURN ROW(422, 'certificate_expired',
                       CASE p_service WHEN 'unlock' THEN '证书已过期，不能解锁；请申请证书延期'
                                      ELSE '证书已过期，不能补办；请申请证书延期或新办' END)::refusal;
        ELSIF p_service = 'replace' AND p_cert.order_id IS NULL THEN
            RETURN ROW(422, 'not_ordered_here',
                       '在线补办业务只适用已在本系统申请过的证书订单，请到受理点办理补办')::refusal;
        END IF;
    ELSE
        RETURN ROW(400, 'certificate_not_allowed', '证书新办不需要选择证书')::refusal;
    END IF;

    SELECT id INTO v_open FROM orders
    WHERE certificate_id = p_cert.id AND state NOT IN ('completed', 'cancelled')
    ORDER BY created_at DESC LIMIT 1;
    IF FOUND THEN
        RETURN ROW(409, 'order_exists', format('该证书已有办理中的订单%s', v_open))::refusal;
    END IF;

    RETURN NULL;
END
$$;

COMMENT ON FUNCTION certificate_refusal(certificates, text) IS
    'NULL if an order for the service may be made for the certificate now, else why not (renewal window, validity, ordered here, open order)';

-- The open order of a certificate -------------------------------------------

-- The order that blocks a new order for the certificate: the newest that
-- is neither completed nor cancelled (certificate_refusal's 409
-- order_exists names it), or NULL
CREATE OR REPLACE FUNCTION certificate_open_order(p_cert_id bigint)
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
CREATE OR REPLACE FUNCTION certificate_open_order_json(p_cert_id bigint)
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

-- GET /api/certificates: the account's certificates, each with its open order
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
