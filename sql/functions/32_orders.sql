-- Applicants' orders: ids, creation (新办 / 延期 / 解锁 / 补办), the list,
-- 基本信息 and 开票信息 with their guard, cancellation, submission and
-- pre-filling (the order's JSON and its actions: 31_order_json.sql).
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- Beijing time whatever the session's TimeZone.  Callers pass the order's
-- created_at (now()), so the id tells when the order was created.
CREATE OR REPLACE FUNCTION order_id_next(p_at timestamptz DEFAULT now())
RETURNS text
LANGUAGE sql
VOLATILE
RETURN 'UO' || to_char(p_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS')
            || lpad(nextval('public.order_id_seq')::text, 4, '0');

COMMENT ON FUNCTION order_id_next(timestamptz) IS 'a new order id: UO + Beijing time yyyyMMddHHmmss of p_at + 4 cycling digits';

-- Information and invoice change only while the applicant may edit ---------

-- The one statement of when an applicant may change what an order says:
-- while it is a draft, or after a rejection (to correct it).
CREATE OR REPLACE FUNCTION order_editable(p_state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN p_state IN ('draft', 'rejected');

CREATE OR REPLACE FUNCTION order_details_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_state text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.order_id <> OLD.order_id THEN
        RAISE EXCEPTION 'order information and invoices stay with their order'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- locked: a submission of the order waits for this change, or this
    -- change for the submission (the api functions lock it already)
    SELECT o.state INTO STRICT v_state FROM orders o WHERE o.id = NEW.order_id FOR SHARE;
    -- 开票信息 is corrected later too: order_invoice_change_check()
    IF TG_TABLE_NAME = 'order_invoice' AND NOT order_editable(v_state) THEN
        PERFORM order_invoice_change_check(NEW.order_id, v_state);
    ELSIF NOT order_editable(v_state) THEN
        PERFORM raise_api_error('CH409', 'order_not_editable',
                                format('订单当前状态为“%s”，不能修改',
                                       (SELECT name FROM order_states WHERE code = v_state)));
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION order_details_guard() IS 'order_info changes only while the order is a draft or rejected; order_invoice also after the submission until completed while no invoice request is on its way, or in finance''s correction (CH409)';

-- (orders are never deleted but by tests cleaning up, which takes these along)
CREATE OR REPLACE TRIGGER order_info_guard BEFORE INSERT OR UPDATE ON order_info
    FOR EACH ROW EXECUTE FUNCTION order_details_guard();

CREATE OR REPLACE TRIGGER order_invoice_guard BEFORE INSERT OR UPDATE ON order_invoice
    FOR EACH ROW EXECUTE FUNCTION order_details_guard();

-- Creating an order, now with its certificate -------------------------------

DROP FUNCTION IF EXISTS order_create(bigint, text, text, text);

-- POST /api/orders: a draft for the account, if the project offers that
-- service for that certificate type now and, for renew/unlock/replace, the
-- certificate is the account's, of that project and type, and
-- certificate_refusal() has nothing against it.  Returns the new order id;
-- records the creation as an event and sends the draft's message.
CREATE OR REPLACE FUNCTION order_create(p_account_id bigint, p_project_code text,
                             p_service text, p_cert_type text,
                             p_certificate_id bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_project_active boolean;
    v_offer_enabled  boolean;
    v_state          order_states;
    v_cert           certificates;
    v_refusal        refusal;
    v_id             text;
    v_tries          integer := 0;
BEGIN
    PERFORM FROM accounts WHERE id = p_account_id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'account_not_found', '账号不存在');
    END IF;

    SELECT active INTO v_project_active FROM projects WHERE code = p_project_code;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'project_not_found', '申请项目不存在', 'project');
    ELSIF NOT v_project_active THEN
        PERFORM raise_api_error('CH422', 'project_unavailable', '该项目暂停受理', 'project');
    END IF;

    PERFORM FROM services WHERE code = p_service;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH400', 'unknown_service', '请选择正确的业务类型', 'service');
    END IF;
    PERFORM FROM cert_types WHERE code = p_cert_type;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH400', 'unknown_cert_type', '请选择正确的证书类型', 'cert_type');
    END IF;

    SELECT enabled INTO v_offer_enabled
    FROM project_services
    WHERE project_code = p_project_code AND service = p_service AND cert_type = p_cert_type;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'service_not_found', '该项目不提供此业务', 'service');
    ELSIF NOT v_offer_enabled THEN
        PERFORM raise_api_error('CH422', 'service_unavailable', '该项目暂停受理此业务', 'service');
    END IF;

    IF p_service = 'new' THEN
        IF p_certificate_id IS NOT NULL THEN
            PERFORM raise_api_error('CH400', 'certificate_not_allowed',
                                    '证书新办不需要选择证书', 'certificate');
        END IF;
    ELSE
        IF p_certificate_id IS NULL THEN
            PERFORM raise_api_error('CH400', 'certificate_required',
                                    '请选择要办理的证书', 'certificate');
        END IF;
        -- locked, so that two requests cannot both open an order for it
        SELECT * INTO v_cert FROM certificates
        WHERE id = p_certificate_id AND account_id = p_account_id
        FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH404', 'certificate_not_found', '证书不存在', 'certificate');
        END IF;
        IF (v_cert.project_code, v_cert.cert_type) <> (p_project_code, p_cert_type) THEN
            PERFORM raise_api_error('CH422', 'certificate_mismatch',
                                    '所选证书不属于该项目或证书类型', 'certificate');
        END IF;
        v_refusal := certificate_refusal(v_cert, p_service);
        IF v_refusal IS NOT NULL THEN
            PERFORM raise_api_error('CH' || v_refusal.status, v_refusal.code,
                                    v_refusal.message, 'certificate');
        END IF;
    END IF;

    -- a taken id (10,000 orders in one second) is stepped over; a whole
    -- second's worth of taken ids is a runaway caller, not a reason to spin.
    LOOP
        v_id := order_id_next(now());
        INSERT INTO orders (id, account_id, project_code, service, cert_type, certificate_id)
        VALUES (v_id, p_account_id, p_project_code, p_service, p_cert_type, p_certificate_id)
        ON CONFLICT (id) DO NOTHING;
        EXIT WHEN FOUND;
        v_tries := v_tries + 1;
        IF v_tries >= 10000 THEN
            RAISE EXCEPTION 'order_create: every order id of this second is taken'
                USING ERRCODE = 'program_limit_exceeded';
        END IF;
    END LOOP;

    SELECT * INTO STRICT v_state FROM order_states WHERE code = 'draft';
    INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id)
    VALUES (v_id, NULL, 'draft', 'applicant', p_account_id);
    INSERT INTO messages (account_id, order_id, title, body)
    VALUES (p_account_id, v_id,
            replace(v_state.message_title, '{order_id}', v_id),
            replace(v_state.message_body, '{order_id}', v_id));

    RETURN v_id;
END
$$;

COMMENT ON FUNCTION order_create(bigint, text, text, text, bigint) IS
    'creates a draft order for the account (and certificate, for renew/unlock/replace); errors CH400/CH404/CH409/CH422 with the field; returns its id';

-- The JSON of orders --------------------------------------------------------

-- An order of the account, for the api functions: 404 for another
-- account's order exactly as for none, so that ids tell nothing.
CREATE OR REPLACE FUNCTION applicant_order(p_account_id bigint, p_order_id text, p_lock boolean)
RETURNS orders
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o orders;
BEGIN
    IF p_lock THEN
        SELECT * INTO o FROM orders WHERE id = p_order_id AND account_id = p_account_id FOR UPDATE;
    ELSE
        SELECT * INTO o FROM orders WHERE id = p_order_id AND account_id = p_account_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'order_not_found', '订单不存在');
    END IF;
    RETURN o;
END
$$;

-- GET /api/orders/{id}
CREATE OR REPLACE FUNCTION api.order_get(p_token text, p_order_id text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
BEGIN
    RETURN order_json(applicant_order(s.account_id, p_order_id, false));
END
$$;

COMMENT ON FUNCTION api.order_get(text, text) IS 'GET /api/orders/{id}: the order with its timeline (404 if not the account''s)';

-- PUT /api/orders/{id}/info once took two statements: api.order_cert_type()
-- first, for the module to know which form to check.  It is gone: the
-- module checks the form against both kinds and order_info_put() picks.
DROP FUNCTION IF EXISTS api.order_cert_type(text, text, text);

-- PUT /api/orders/{id}/info, in one statement.  Which fields an order takes
-- depends on its certificate type, which only this function knows, so the
-- module checks the form against both kinds (strict: at most one fits) and
-- passes the values of the kind that fits with each kind's refusal (the
-- field and message it would have answered 400 with; NULL when the form
-- fits that kind).  The session and the order are checked first (401, 403,
-- 404 come before any field's 400, as ever); then the refusal of the
-- order's own kind is raised, the same 400 byte for byte; then the order,
-- locked so that a submission waits for the edit or the edit for it, takes
-- the values.
DROP FUNCTION IF EXISTS api.order_info_put(text, text, text, text, text, text, text, text,
                                           text, text, text, text);
CREATE OR REPLACE FUNCTION api.order_info_put(p_token text, p_csrf text, p_order_id text,
                                   p_org_name text, p_uscc text, p_handler_name text,
                                   p_person_name text, p_person_id_masked text,
                                   p_person_id_digest text, p_person_id_sealed text,
                                   p_mobile text, p_email text,
                                   p_org_refusal_field text DEFAULT NULL,
                                   p_org_refusal_message text DEFAULT NULL,
                                   p_personal_refusal_field text DEFAULT NULL,
                                   p_personal_refusal_message text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
BEGIN
    IF o.cert_type = 'org' AND p_org_refusal_message IS NOT NULL THEN
        PERFORM raise_api_error('CH400', 'invalid_field', p_org_refusal_message, p_org_refusal_field);
    ELSIF o.cert_type <> 'org' AND p_personal_refusal_message IS NOT NULL THEN
        PERFORM raise_api_error('CH400', 'invalid_field', p_personal_refusal_message,
                                p_personal_refusal_field);
    END IF;
    -- what the module's checks make impossible, refused all the same
    IF (o.cert_type = 'org') <> (p_org_name IS NOT NULL) THEN
        PERFORM raise_api_error('CH400', 'invalid_field',
                                CASE o.cert_type WHEN 'org' THEN '请填写单位名称' ELSE '个人证书不填写单位信息' END,
                                'org_name');
    END IF;
    INSERT INTO order_info AS i (order_id, org_name, uscc, handler_name, person_name,
                                 person_id_masked, person_id_digest, person_id_sealed, mobile, email)
    VALUES (o.id, p_org_name, p_uscc, p_handler_name, p_person_name,
            p_person_id_masked, p_person_id_digest, p_person_id_sealed, p_mobile, p_email)
    ON CONFLICT (order_id) DO UPDATE
       SET org_name = EXCLUDED.org_name, uscc = EXCLUDED.uscc,
           handler_name = EXCLUDED.handler_name, person_name = EXCLUDED.person_name,
           person_id_masked = EXCLUDED.person_id_masked,
           person_id_digest = EXCLUDED.person_id_digest,
           person_id_sealed = EXCLUDED.person_id_sealed,
           mobile = EXCLUDED.mobile, email = EXCLUDED.email;
    RETURN order_json(o);
END
$$;

COMMENT ON FUNCTION api.order_info_put(text, text, text, text, text, text, text, text, text, text, text, text,
                                       text, text, text, text) IS
    'PUT /api/orders/{id}/info: 基本信息 (draft or rejected only: CH409), with the module''s refusal of each kind of form (CH400 for the order''s kind)';

-- PUT /api/orders/{id}/invoice
CREATE OR REPLACE FUNCTION api.order_invoice_put(p_token text, p_csrf text, p_order_id text,
                                      p_title_type text, p_title text, p_taxpayer_id text,
                                      p_email text, p_mobile text, p_remark text,
                                      p_save_title boolean)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
    v_type text := coalesce(p_title_type, o.cert_type);
BEGIN
    IF v_type = 'org' AND p_taxpayer_id IS NULL THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请输入纳税人识别号', 'taxpayer_id');
    END IF;
    INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile, remark)
    VALUES (o.id, v_type, p_title, p_taxpayer_id, p_email, p_mobile, p_remark)
    ON CONFLICT (order_id) DO UPDATE
       SET title_type = EXCLUDED.title_type, title = EXCLUDED.title,
           taxpayer_id = EXCLUDED.taxpayer_id, email = EXCLUDED.email,
           mobile = EXCLUDED.mobile, remark = EXCLUDED.remark;
    IF p_save_title THEN
        PERFORM invoice_title_keep(s.account_id, v_type, p_title, p_taxpayer_id);
    END IF;
    PERFORM invoice_request_retitle(o);
    RETURN order_json(o);
END
$$;

COMMENT ON FUNCTION api.order_invoice_put(text, text, text, text, text, text, text, text, text, boolean) IS
    'PUT /api/orders/{id}/invoice: 开票信息, optionally kept in 我的发票抬头; after the submission until the invoice is on its way (CH409 order_not_editable, invoice_in_progress), the open invoice request following it';

-- POST /api/orders/{id}/cancel
CREATE OR REPLACE FUNCTION api.order_cancel(p_token text, p_csrf text, p_order_id text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
BEGIN
    -- two statements: the JSON must see the event the transition wrote
    o := order_transition(o.id, 'cancelled', 'applicant', s.account_id);
    RETURN order_json(o);
END
$$;

COMMENT ON FUNCTION api.order_cancel(text, text, text) IS 'POST /api/orders/{id}/cancel: before payment only (CH409)';

-- 我的订单 --------------------------------------------------------------------

-- GET /api/orders: my submitted orders, newest first (a draft, never
-- submitted, is in 我的申请 only: api.applications; a rejected order is in
-- both, it was submitted).  Every filter is optional;
-- p_q matches a part of the organisation or person name (trigram index),
-- the certificate's name, a whole USCC, a whole ID number by its digest
-- (p_q_digest, made by the module), or the order id, whole or a part of it
-- (UO2024…, case ignored).  Dates are Beijing days of the submission, both
-- included.  The rows' state_name is the applicant's (资料待审核).
CREATE OR REPLACE FUNCTION api.orders(p_token text, p_state text, p_project text, p_service text,
                                      p_q text, p_q_digest text, p_from date, p_to date,
                                      p_page integer, p_per_page integer)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       sessions := session_check(p_token, NULL, false);
    v_page  integer := greatest(coalesce(p_page, 1), 1);
    v_per   integer := least(greatest(coalesce(p_per_page, 20), 1), 100);
    v_like  text := '%' || like_escape(p_q) || '%';
    v_rows  json;
    v_total bigint;
BEGIN
    WITH found AS (
        SELECT o.*, i.org_name, i.person_name, i.uscc, i.person_id_masked,
               c.name AS cert_name
        FROM orders o
        LEFT JOIN order_info i ON i.order_id = o.id
        LEFT JOIN certificates c ON c.id = o.certificate_id
        WHERE o.account_id = s.account_id
          AND o.submitted_at IS NOT NULL
          AND (p_state IS NULL OR o.state = p_state)
          AND (p_project IS NULL OR o.project_code = p_project)
          AND (p_service IS NULL OR o.service = p_service)
          AND (p_from IS NULL OR o.submitted_at >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND (p_to IS NULL OR o.submitted_at < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND (p_q IS NULL
               OR o.id ILIKE v_like
               OR coalesce(i.org_name || ' ', '') || i.person_name ILIKE v_like
               OR c.name ILIKE v_like
               OR i.uscc = upper(p_q)
               OR i.person_id_digest = p_q_digest)
    ), page AS (
        SELECT f.*
        FROM found f
        ORDER BY f.created_at DESC, f.id DESC
        LIMIT v_per OFFSET (v_page - 1)::bigint * v_per
    )
    -- the total from the same rows, so a page past the end still tells it
    SELECT (SELECT json_agg(json_build_object(
                        'id', pg.id,
                        'project', pg.project_code, 'project_name', p.name,
                        'service', pg.service, 'service_name', sv.name,
                        'cert_type', pg.cert_type, 'cert_type_name', ct.name,
                        'business', p.name || ' ' || ct.name || '-' || sv.short_name,
                        'name', coalesce(pg.org_name, pg.person_name, pg.cert_name),
                        'id_number', coalesce(pg.uscc, pg.person_id_masked),
                        'created_at', pg.created_at, 'submitted_at', pg.submitted_at,
                        'state', pg.state,
                        'state_name', order_state_applicant_name(st.name, pg.state, pg.delivery_method),
                        'invoice_state', inv.state,
                        'invoice_state_name', invoice_state_name(inv.state),
                        'amount_fen', pg.amount_fen)
                      ORDER BY pg.created_at DESC, pg.id DESC)
            FROM page pg
            JOIN orders o ON o.id = pg.id
            JOIN projects p ON p.code = pg.project_code
            JOIN services sv ON sv.code = pg.service
            JOIN cert_types ct ON ct.code = pg.cert_type
            JOIN order_states st ON st.code = pg.state
            -- 发票状态 once a row: OFFSET 0 keeps the planner from pulling
            -- the call up into both places that name it
            CROSS JOIN LATERAL (SELECT order_invoice_state(o) AS state OFFSET 0) inv),
           (SELECT count(*) FROM found)
      INTO v_rows, v_total;

    RETURN json_build_object('orders', coalesce(v_rows, '[]'::json),
                             'page', v_page, 'per_page', v_per, 'total', v_total);
END
$$;

COMMENT ON FUNCTION api.orders(text, text, text, text, text, text, date, date, integer, integer) IS
    'GET /api/orders: my submitted orders filtered by state, project, service, text (order id, names, USCC, ID number), submission dates; paged, newest first';

-- POST /api/orders: a draft, with the 用户申请条款 the applicant was
-- shown (p_terms_version) and agreed to (p_agree_terms), checked before
-- anything is written and recorded on the new draft
DROP FUNCTION IF EXISTS api.order_create(text, text, text, text, text, bigint);

CREATE OR REPLACE FUNCTION api.order_create(p_token text, p_csrf text, p_project text, p_service text,
                                 p_cert_type text, p_certificate_id bigint,
                                 p_agree_terms boolean, p_terms_version integer)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         sessions := session_check(p_token, p_csrf, true);
    v_version integer;
    v_id      text;
BEGIN
    v_version := agreement_accepted('user_terms', p_agree_terms, p_terms_version,
                                    CASE WHEN coalesce(p_agree_terms, false)
                                         THEN 'terms_version' ELSE 'agree_terms' END);
    v_id := order_create(s.account_id, p_project, p_service, p_cert_type, p_certificate_id);
    UPDATE orders SET terms_version = v_version, terms_agreed_at = now() WHERE id = v_id;
    RETURN order_json((SELECT o FROM orders o WHERE o.id = v_id));
END
$$;

COMMENT ON FUNCTION api.order_create(text, text, text, text, text, bigint, boolean, integer) IS
    'POST /api/orders: a new draft (201), with the version of the 用户申请条款 agreed (CH422 incomplete without, CH409 agreement_changed for an old version)';

-- POST /api/orders/{id}/submit: the agreement and the delivery, then the
-- transition to pending_payment.  What is missing is answered as a list
-- (422 incomplete) before anything is written.  The version of the
-- 申请责任书 the applicant was shown (p_agreement_version) is recorded with
-- agreed_at; an old version is 409 agreement_changed before anything is
-- written, a missing one is in the 422 list like the tick itself
DROP FUNCTION IF EXISTS api.order_submit(text, text, text, boolean, text, bigint, text);

CREATE OR REPLACE FUNCTION api.order_submit(p_token text, p_csrf text, p_order_id text,
                                 p_agree boolean, p_delivery text, p_address_id bigint,
                                 p_pickup_point text, p_agreement_version integer)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         sessions := session_check(p_token, p_csrf, true);
    o         orders := applicant_order(s.account_id, p_order_id, true);
    a         addresses;
    v_missing jsonb;
    v_current integer := (agreement_current('agreement')).version;
BEGIN
    IF o.state <> 'draft' THEN
        PERFORM raise_api_error('CH409', 'illegal_transition',
                                format('订单当前状态为“%s”，不能提交',
                                       (SELECT name FROM order_states WHERE code = o.state)));
    END IF;

    IF p_delivery NOT IN ('express', 'pickup') THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请选择正确的领取方式', 'delivery');
    ELSIF p_delivery = 'express' THEN
        IF p_address_id IS NULL THEN
            PERFORM raise_api_error('CH400', 'invalid_field', '请选择收货地址', 'address_id');
        END IF;
        SELECT * INTO a FROM addresses WHERE id = p_address_id AND account_id = s.account_id;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH404', 'address_not_found', '收货地址不存在', 'address_id');
        END IF;
    ELSIF p_delivery = 'pickup' THEN
        IF p_pickup_point IS NULL THEN
            PERFORM raise_api_error('CH400', 'invalid_field', '请选择受理点', 'pickup_point');
        END IF;
        PERFORM FROM pickup_points WHERE code = p_pickup_point AND active;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH404', 'pickup_point_not_found', '受理点不存在', 'pickup_point');
        END IF;
    END IF;

    -- the text agreed to must be the one in force
    IF coalesce(p_agree, false) AND p_agreement_version IS NOT NULL
       AND p_agreement_version IS DISTINCT FROM v_current
    THEN
        PERFORM agreement_accepted('agreement', p_agree, p_agreement_version, 'agreement_version');
    END IF;

    v_missing := order_missing(o)::jsonb;
    IF NOT coalesce(p_agree, false) OR p_agreement_version IS NULL THEN
        v_missing := v_missing || jsonb_build_object('item', 'agreement',
                                                     'message', '请阅读并同意数字证书申请责任书');
    END IF;
    IF p_delivery IS NULL THEN
        v_missing := v_missing || jsonb_build_object('item', 'delivery', 'message', '请选择领取方式');
    END IF;
    IF jsonb_array_length(v_missing) > 0 THEN
        RETURN ROW(422,
                   json_build_object('error', json_build_object(
                       'code', 'incomplete',
                       'message', '订单尚未填写完整：' || (SELECT string_agg(e->>'message', '；')
                                                           FROM jsonb_array_elements(v_missing) e),
                       'missing', v_missing)),
                   NULL, NULL, NULL)::api.answer;
    END IF;

    UPDATE orders
       SET agreed_at = now(),
           agreement_version = v_current,
           delivery_method = p_delivery,
           delivery_recipient = a.recipient, delivery_mobile = a.mobile,
           delivery_region = a.region, delivery_detail = a.detail,
           delivery_postal_code = a.postal_code,
           pickup_point = CASE WHEN p_delivery = 'pickup' THEN p_pickup_point END
     WHERE id = o.id;
    o := order_transition(o.id, 'pending_payment', 'applicant', s.account_id);

    RETURN ROW(200, order_json(o), NULL, NULL, NULL)::api.answer;
END
$$;

COMMENT ON FUNCTION api.order_submit(text, text, text, boolean, text, bigint, text, integer) IS
    'POST /api/orders/{id}/submit: agreement (its version) and delivery, then draft -> pending_payment (422 incomplete with the list, 409 agreement_changed for an old version)';

-- 基本信息 pre-filled -------------------------------------------------------

-- The order whose information a renewal, unlock or replacement starts
-- from: the order the certificate was issued for, else the latest
-- completed order for that certificate; the account's own, with its
-- information, never the order itself.  NULL for a new issuance or none.
CREATE OR REPLACE FUNCTION order_earlier(p_order orders)
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
CREATE OR REPLACE FUNCTION order_prefill(p_order orders)
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
CREATE OR REPLACE FUNCTION api.order_prefill(p_token text, p_order_id text)
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
