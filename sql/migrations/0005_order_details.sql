-- Schema v1, part 4: what an applicant fills in for an order, and the
-- account's own lists.
--
--   certificates     the account's certificates: what renewal, unlock and
--                    replacement are for, with the rules of each service
--   order_info       基本信息: who the certificate is for
--   order_invoice    开票信息
--   addresses        我的地址; a submission copies one into the order
--   invoice_titles   我的发票抬头
--   pickup_points    受理点: where a key can be fetched instead
--
-- and the api.* functions of the orders, the lists and the messages.
--
-- ID numbers come here already sealed by the module (lib/ch_seal.c,
-- AES-256-GCM under the key of certhall_data_key): the database holds the
-- sealed text, the mask shown on screens and a keyed digest to find an
-- exact number, never the number itself, and never the key.

SET LOCAL timezone = 'Asia/Shanghai';

-- trigram indexes for "a part of the organisation's name" (trusted since
-- PostgreSQL 13: the database owner may create it)
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Certificates --------------------------------------------------------------

CREATE TABLE certificates (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    project_code    text NOT NULL REFERENCES projects,
    cert_type       text NOT NULL REFERENCES cert_types,
    serial          text NOT NULL UNIQUE CHECK (serial ~ '^[0-9A-F]{8,40}$'),
    -- the subject: the organisation, or the person
    name            text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 2 AND 100),
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz NOT NULL,
    -- the order of this hall the certificate was issued for; NULL for one
    -- issued elsewhere (at a counter, before the hall)
    order_id        text UNIQUE REFERENCES orders,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to > valid_from)
);
COMMENT ON TABLE certificates IS 'the certificates (USB keys) of an account: what renewal (延期), unlock (解锁) and replacement (补办) are ordered for';
COMMENT ON COLUMN certificates.name IS '证书名: the organisation (单位证书) or the person (个人证书) it was issued to';
COMMENT ON COLUMN certificates.valid_to IS 'the end of validity; remaining days count Beijing calendar days to it';
COMMENT ON COLUMN certificates.order_id IS 'the order of this hall it was issued for; replacement (补办) needs one';

CREATE INDEX certificates_account_idx ON certificates (account_id, valid_to DESC);

-- which certificate an order is for (renew, unlock, replace; never new)
ALTER TABLE orders
    ADD COLUMN certificate_id bigint REFERENCES certificates,
    ADD CONSTRAINT orders_certificate_for_service
        CHECK ((certificate_id IS NULL) = (service = 'new'));
COMMENT ON COLUMN orders.certificate_id IS 'the certificate renewed, unlocked or replaced; NULL for new issuance';

-- the open order of a certificate, and the foreign key
CREATE INDEX orders_certificate_idx ON orders (certificate_id) WHERE certificate_id IS NOT NULL;

-- Beijing calendar days from today to the last day of validity: 0 on the
-- last day, negative once expired
CREATE FUNCTION certificate_remaining_days(p_valid_to timestamptz)
RETURNS integer
LANGUAGE sql STABLE
RETURN (p_valid_to AT TIME ZONE 'Asia/Shanghai')::date
       - (now() AT TIME ZONE 'Asia/Shanghai')::date;

-- A refusal: the HTTP status, the stable code and the Chinese message.
CREATE TYPE refusal AS (status integer, code text, message text);
COMMENT ON TYPE refusal IS 'why something may not be done: HTTP status, code, message';

-- Whether an order for p_service may be made for the certificate now:
-- NULL, or why not.  The one statement of the rules (DESIGN.md, the seeds):
--   renew    expiring within the project's renewal window, or expired less
--            than 3 months ago (数字证书即将过期或已过期3个月内)
--   unlock   still valid
--   replace  still valid, and issued for an order of this hall (在线补办
--            业务只适用已完成在线新办的证书订单进行补办)
-- and no other open order (neither completed nor cancelled) for it.
CREATE FUNCTION certificate_refusal(p_cert certificates, p_service text)
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

-- Pickup points -------------------------------------------------------------

CREATE TABLE pickup_points (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name        text NOT NULL UNIQUE,
    address     text NOT NULL,
    phone       text NOT NULL,
    hours       text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    sort_order  integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE pickup_points IS '受理点: where an applicant may fetch the key instead of a courier delivery';

INSERT INTO pickup_points (code, name, address, phone, hours, sort_order) VALUES
    ('changsha', '湖南CA长沙受理点', '湖南省长沙市岳麓区麓谷大道627号', '0731-85018830',
     '工作日 9:00-12:00, 13:30-17:30', 10),
    ('xiangtan', '湘潭市公共资源交易中心服务窗口', '湖南省湘潭市岳塘区芙蓉中路1号', '0731-58550000',
     '工作日 9:00-12:00, 14:00-17:00', 20);

-- Delivery and the agreement, fixed by the submission -----------------------

ALTER TABLE orders
    ADD COLUMN agreed_at            timestamptz,
    ADD COLUMN delivery_method      text CHECK (delivery_method IN ('express', 'pickup')),
    ADD COLUMN delivery_recipient   text,
    ADD COLUMN delivery_mobile      text,
    ADD COLUMN delivery_region      text,
    ADD COLUMN delivery_detail      text,
    ADD COLUMN delivery_postal_code text,
    ADD COLUMN pickup_point         text REFERENCES pickup_points,
    ADD CONSTRAINT orders_delivery_express CHECK (
        (delivery_method = 'express') =
        (delivery_recipient IS NOT NULL AND delivery_mobile IS NOT NULL
         AND delivery_region IS NOT NULL AND delivery_detail IS NOT NULL)),
    ADD CONSTRAINT orders_delivery_pickup CHECK (
        (delivery_method = 'pickup') = (pickup_point IS NOT NULL)),
    -- a submitted order was agreed to and says where the key goes
    ADD CONSTRAINT orders_submitted_complete CHECK (
        submitted_at IS NULL OR (agreed_at IS NOT NULL AND delivery_method IS NOT NULL));
COMMENT ON COLUMN orders.agreed_at IS 'when the applicant accepted the 申请责任书 (at submission)';
COMMENT ON COLUMN orders.delivery_method IS '领取方式: express (快递邮寄, to the address copied here) or pickup (受理点自取)';
COMMENT ON COLUMN orders.delivery_recipient IS 'the address as it was at submission: later edits of 我的地址 do not move a key on its way';

-- Basic information (基本信息) ----------------------------------------------

CREATE TABLE order_info (
    order_id            text PRIMARY KEY REFERENCES orders ON DELETE CASCADE,
    -- organisations only (单位证书)
    org_name            text CHECK (char_length(org_name) BETWEEN 2 AND 100),
    uscc                text CHECK (uscc ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$'),
    handler_name        text CHECK (char_length(handler_name) BETWEEN 2 AND 50),
    -- the legal representative of an organisation, or the person
    person_name         text NOT NULL CHECK (char_length(person_name) BETWEEN 2 AND 50),
    person_id_masked    text NOT NULL CHECK (person_id_masked ~ '^[1-9][0-9]{3}[*]{10}[0-9]{3}[0-9X]$'),
    person_id_digest    text NOT NULL CHECK (person_id_digest ~ '^[0-9a-f]{64}$'),
    person_id_sealed    text NOT NULL CHECK (person_id_sealed ~ '^v1\.[A-Za-z0-9_-]{40,200}$'),
    mobile              text NOT NULL CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
    email               text NOT NULL CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((org_name IS NULL) = (uscc IS NULL) AND (uscc IS NULL) = (handler_name IS NULL))
);
COMMENT ON TABLE order_info IS '基本信息 of an order: the organisation and its legal representative and handler (单位), or the person (个人)';
COMMENT ON COLUMN order_info.person_name IS 'the legal representative (法定代表人) of an organisation, or the applicant of a personal certificate';
COMMENT ON COLUMN order_info.person_id_sealed IS 'the ID number sealed by the module (AES-256-GCM, bound to order id and field); opened only to print the application form';
COMMENT ON COLUMN order_info.person_id_digest IS 'HMAC-SHA256 of the ID number under a key derived from the data key: finds an exact number';
COMMENT ON COLUMN order_info.handler_name IS '经办人: who handles the application for the organisation';

-- my orders' text filter: a part of the organisation or person name
CREATE INDEX order_info_name_trgm_idx ON order_info
    USING gin ((coalesce(org_name || ' ', '') || person_name) gin_trgm_ops);
-- a whole USCC or ID number
CREATE INDEX order_info_uscc_idx ON order_info (uscc) WHERE uscc IS NOT NULL;
CREATE INDEX order_info_person_id_idx ON order_info (person_id_digest);

-- Invoice information (开票信息) --------------------------------------------

CREATE TABLE order_invoice (
    order_id        text PRIMARY KEY REFERENCES orders ON DELETE CASCADE,
    title_type      text NOT NULL CHECK (title_type IN ('org', 'personal')),
    title           text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 100),
    taxpayer_id     text CHECK (taxpayer_id ~ '^[0-9A-Z]{15}$|^[0-9A-Z]{17,18}$|^[0-9A-Z]{20}$'),
    email           text NOT NULL CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    mobile          text NOT NULL CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
    remark          text CHECK (char_length(remark) <= 100),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- 纳税人识别号 is required of organisations; individuals may leave it
    CHECK (title_type = 'personal' OR taxpayer_id IS NOT NULL)
);
COMMENT ON TABLE order_invoice IS '开票信息 of an order: the e-invoice title, taxpayer number and where the invoice goes';

-- Information and invoice change only while the applicant may edit ---------

-- The one statement of when an applicant may change what an order says:
-- while it is a draft, or after a rejection (to correct it).
CREATE FUNCTION order_editable(p_state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN p_state IN ('draft', 'rejected');

CREATE FUNCTION order_details_guard()
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
    IF NOT order_editable(v_state) THEN
        PERFORM raise_api_error('CH409', 'order_not_editable',
                                format('订单当前状态为“%s”，不能修改',
                                       (SELECT name FROM order_states WHERE code = v_state)));
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION order_details_guard() IS 'order_info and order_invoice change only while the order is a draft or rejected (CH409)';

-- (orders are never deleted but by tests cleaning up, which takes these along)
CREATE TRIGGER order_info_guard BEFORE INSERT OR UPDATE ON order_info
    FOR EACH ROW EXECUTE FUNCTION order_details_guard();
CREATE TRIGGER order_invoice_guard BEFORE INSERT OR UPDATE ON order_invoice
    FOR EACH ROW EXECUTE FUNCTION order_details_guard();

-- The lists of an account ---------------------------------------------------

CREATE TABLE addresses (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    recipient       text NOT NULL CHECK (char_length(recipient) BETWEEN 2 AND 50),
    mobile          text NOT NULL CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
    region          text NOT NULL CHECK (char_length(region) BETWEEN 2 AND 60),
    detail          text NOT NULL CHECK (char_length(detail) BETWEEN 2 AND 120),
    postal_code     text CHECK (postal_code ~ '^[0-9]{6}$'),
    is_default      boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE addresses IS '我的地址: where an applicant has keys sent; a submission copies one into the order';
COMMENT ON COLUMN addresses.region IS '所在地区: province, city, district (湖南省长沙市岳麓区)';

CREATE INDEX addresses_account_idx ON addresses (account_id, created_at DESC);
CREATE UNIQUE INDEX addresses_one_default_idx ON addresses (account_id) WHERE is_default;

CREATE TABLE invoice_titles (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    title_type      text NOT NULL CHECK (title_type IN ('org', 'personal')),
    title           text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 100),
    taxpayer_id     text CHECK (taxpayer_id ~ '^[0-9A-Z]{15}$|^[0-9A-Z]{17,18}$|^[0-9A-Z]{20}$'),
    is_default      boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (title_type = 'personal' OR taxpayer_id IS NOT NULL),
    UNIQUE NULLS NOT DISTINCT (account_id, title, taxpayer_id)
);
COMMENT ON TABLE invoice_titles IS '我的发票抬头: invoice titles an applicant keeps to fill in 开票信息';

CREATE UNIQUE INDEX invoice_titles_one_default_idx ON invoice_titles (account_id) WHERE is_default;

-- Indexes of my orders' filters ---------------------------------------------

-- by account then each filter, newest first (the state filter has
-- orders_account_state_idx, the plain list orders_account_created_idx)
CREATE INDEX orders_account_project_idx ON orders (account_id, project_code, created_at DESC);
CREATE INDEX orders_account_service_idx ON orders (account_id, service, created_at DESC);
CREATE INDEX orders_account_submitted_idx ON orders (account_id, submitted_at DESC)
    WHERE submitted_at IS NOT NULL;

-- The guard learns the new columns -------------------------------------------

-- As before, and: the certificate an order is for never changes; the
-- agreement and the delivery are set while the order is a draft (by the
-- submission) and never after.
CREATE OR REPLACE FUNCTION orders_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'orders start as drafts: create them with order_create()'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.id, NEW.account_id, NEW.project_code, NEW.service, NEW.cert_type,
        NEW.created_at, NEW.certificate_id)
       IS DISTINCT FROM
       (OLD.id, OLD.account_id, OLD.project_code, OLD.service, OLD.cert_type,
        OLD.created_at, OLD.certificate_id)
    THEN
        RAISE EXCEPTION 'order %: its id, account, project, service, certificate type, certificate and creation time never change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF (NEW.state, NEW.state_entered_at, NEW.amount_fen, NEW.submitted_at)
       IS DISTINCT FROM (OLD.state, OLD.state_entered_at, OLD.amount_fen, OLD.submitted_at)
       AND current_setting('certhall.transition_order', true) IS DISTINCT FROM OLD.id
    THEN
        RAISE EXCEPTION 'order %: state, state_entered_at, amount_fen and submitted_at change only through order_transition()', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF OLD.state <> 'draft'
       AND (NEW.agreed_at, NEW.delivery_method, NEW.delivery_recipient, NEW.delivery_mobile,
            NEW.delivery_region, NEW.delivery_detail, NEW.delivery_postal_code, NEW.pickup_point)
           IS DISTINCT FROM
           (OLD.agreed_at, OLD.delivery_method, OLD.delivery_recipient, OLD.delivery_mobile,
            OLD.delivery_region, OLD.delivery_detail, OLD.delivery_postal_code, OLD.pickup_point)
    THEN
        PERFORM raise_api_error('CH409', 'order_not_editable', '订单已提交，领取方式不能再修改');
    END IF;

    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- What a submission still needs ---------------------------------------------

-- The items an order lacks for its submission, as [{"item","message"}]:
-- what the applicant fills in before the submission step (information,
-- invoice; the materials join them with the uploads).  The agreement and
-- the delivery are given with the submission itself.
CREATE FUNCTION order_missing(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(json_build_object('item', m.item, 'message', m.message)
                             ORDER BY m.n), '[]'::json)
    FROM (VALUES (1, 'info', '请填写基本信息',
                  NOT EXISTS (SELECT FROM order_info WHERE order_id = p_order.id)),
                 (2, 'invoice', '请填写开票信息',
                  NOT EXISTS (SELECT FROM order_invoice WHERE order_id = p_order.id)))
         AS m (n, item, message, missing)
    WHERE m.missing
$$;
COMMENT ON FUNCTION order_missing(orders) IS 'what an order lacks before it can be submitted: [{"item","message"}]';

-- A submission of an incomplete order is refused by the state machine
-- itself, whoever asks: a BEFORE UPDATE trigger on the state's change
-- rather than a line in order_transition(), so that the rule grows with
-- order_missing() alone.
CREATE FUNCTION orders_submission_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_missing json;
BEGIN
    IF OLD.state = 'draft' AND NEW.state = 'pending_payment' THEN
        v_missing := order_missing(NEW);
        IF json_array_length(v_missing) > 0 THEN
            PERFORM raise_api_error('CH422', 'incomplete',
                '订单尚未填写完整：' || (SELECT string_agg(e->>'message', '；')
                                          FROM json_array_elements(v_missing) e));
        END IF;
        IF NEW.agreed_at IS NULL THEN
            PERFORM raise_api_error('CH422', 'incomplete', '请阅读并同意数字证书申请责任书', 'agree');
        END IF;
        IF NEW.delivery_method IS NULL THEN
            PERFORM raise_api_error('CH422', 'incomplete', '请选择领取方式', 'delivery');
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION orders_submission_check() IS 'a draft is submitted only with its information, invoice, agreement and delivery';

CREATE TRIGGER orders_submission_check BEFORE UPDATE OF state ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_submission_check();

-- Creating an order, now with its certificate -------------------------------

DROP FUNCTION order_create(bigint, text, text, text);

-- POST /api/orders: a draft for the account, if the project offers that
-- service for that certificate type now and, for renew/unlock/replace, the
-- certificate is the account's, of that project and type, and
-- certificate_refusal() has nothing against it.  Returns the new order id;
-- records the creation as an event and sends the draft's message.
CREATE FUNCTION order_create(p_account_id bigint, p_project_code text,
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

-- 发票状态 of an order: none (未开票) until the e-invoice exists
CREATE FUNCTION order_invoice_state(p_order orders)
RETURNS text
LANGUAGE sql STABLE
RETURN CASE WHEN p_order.state = 'completed' THEN 'issued' ELSE 'none' END;

CREATE FUNCTION invoice_state_name(p_state text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE p_state WHEN 'issued' THEN '已开票' WHEN 'requested' THEN '已申请' ELSE '未开票' END;

-- the state as the applicant sees it: 待邮寄 is 待自取 for a pickup
CREATE FUNCTION order_state_name(p_name text, p_state text, p_delivery text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_state = 'pending_shipment' AND p_delivery = 'pickup'
            THEN '待自取' ELSE p_name END;

-- what the applicant may do with the order now
CREATE FUNCTION order_actions(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(a.action ORDER BY a.n), '[]'::json)
    FROM (VALUES (1, 'edit', order_editable(p_order.state)),
                 (2, 'submit', p_order.state = 'draft'),
                 (3, 'cancel', EXISTS (SELECT FROM order_transitions t
                                       WHERE t.from_state = p_order.state
                                         AND t.to_state = 'cancelled'
                                         AND t.actor_kind = 'applicant')))
         AS a (n, action, allowed)
    WHERE a.allowed
$$;

-- GET /api/orders/{id}: everything about one order
CREATE FUNCTION order_json(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object(
        'id', o.id,
        'project', o.project_code,
        'project_name', p.name,
        'service', o.service,
        'service_name', sv.name,
        'cert_type', o.cert_type,
        'cert_type_name', ct.name,
        'business', p.name || ' ' || ct.name || '-' || sv.short_name,
        'state', o.state,
        'state_name', order_state_name(st.name, o.state, o.delivery_method),
        'created_at', o.created_at,
        'submitted_at', o.submitted_at,
        'price_fen', ps.price_fen,
        'amount_fen', o.amount_fen,
        'certificate', (SELECT json_build_object(
                            'id', c.id, 'serial', c.serial, 'name', c.name,
                            'valid_from', c.valid_from, 'valid_to', c.valid_to,
                            'remaining_days', certificate_remaining_days(c.valid_to))
                        FROM certificates c WHERE c.id = o.certificate_id),
        'info', (SELECT CASE WHEN i.org_name IS NOT NULL THEN
                            json_build_object(
                                'org_name', i.org_name, 'uscc', i.uscc,
                                'legal_name', i.person_name,
                                'legal_id_number', i.person_id_masked,
                                'handler_name', i.handler_name,
                                'mobile', i.mobile, 'email', i.email,
                                'updated_at', i.updated_at)
                        ELSE
                            json_build_object(
                                'name', i.person_name,
                                'id_number', i.person_id_masked,
                                'mobile', i.mobile, 'email', i.email,
                                'updated_at', i.updated_at)
                        END
                 FROM order_info i WHERE i.order_id = o.id),
        'invoice', (SELECT json_build_object(
                        'title_type', v.title_type, 'title', v.title,
                        'taxpayer_id', v.taxpayer_id, 'email', v.email,
                        'mobile', v.mobile, 'remark', v.remark,
                        'updated_at', v.updated_at)
                    FROM order_invoice v WHERE v.order_id = o.id),
        'delivery', CASE o.delivery_method
                        WHEN 'express' THEN json_build_object(
                            'method', 'express', 'recipient', o.delivery_recipient,
                            'mobile', o.delivery_mobile, 'region', o.delivery_region,
                            'detail', o.delivery_detail, 'postal_code', o.delivery_postal_code)
                        WHEN 'pickup' THEN (SELECT json_build_object(
                            'method', 'pickup', 'pickup_point', pp.code, 'name', pp.name,
                            'address', pp.address, 'phone', pp.phone, 'hours', pp.hours)
                            FROM pickup_points pp WHERE pp.code = o.pickup_point)
                    END,
        'agreed_at', o.agreed_at,
        'invoice_state', order_invoice_state(o),
        'invoice_state_name', invoice_state_name(order_invoice_state(o)),
        'missing', CASE WHEN o.state = 'draft' THEN order_missing(o) ELSE '[]'::json END,
        'actions', order_actions(o),
        'timeline', (SELECT coalesce(json_agg(json_build_object(
                            'at', e.created_at,
                            'from', e.from_state, 'from_name', fs.name,
                            'to', e.to_state, 'to_name', ts.name,
                            'action', coalesce(t.action, 'create'),
                            'action_name', coalesce(t.action_name, '创建订单'),
                            'actor', e.actor_kind, 'actor_name', ak.name,
                            'reason', e.reason) ORDER BY e.id), '[]'::json)
                     FROM order_events e
                     JOIN order_states ts ON ts.code = e.to_state
                     JOIN actor_kinds ak ON ak.code = e.actor_kind
                     LEFT JOIN order_states fs ON fs.code = e.from_state
                     LEFT JOIN order_transitions t
                            ON (t.from_state, t.to_state, t.actor_kind)
                               = (e.from_state, e.to_state, e.actor_kind)
                     WHERE e.order_id = o.id))
    FROM (SELECT p_order.*) o
    JOIN projects p ON p.code = o.project_code
    JOIN services sv ON sv.code = o.service
    JOIN cert_types ct ON ct.code = o.cert_type
    JOIN order_states st ON st.code = o.state
    JOIN project_services ps USING (project_code, service, cert_type)
$$;
COMMENT ON FUNCTION order_json(orders) IS 'the JSON of GET /api/orders/{id}: the order, its certificate, information, invoice, delivery and timeline';

-- An order of the account, for the api functions: 404 for another
-- account's order exactly as for none, so that ids tell nothing.
CREATE FUNCTION applicant_order(p_account_id bigint, p_order_id text, p_lock boolean)
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

-- The API: certificates and orders ------------------------------------------

-- GET /api/certificates
CREATE FUNCTION api.certificates(p_token text)
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
COMMENT ON FUNCTION api.certificates(text) IS 'GET /api/certificates: the account''s certificates, remaining days, and which services may be ordered for each';

-- POST /api/orders
CREATE FUNCTION api.order_create(p_token text, p_csrf text, p_project text, p_service text,
                                 p_cert_type text, p_certificate_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    v_id text := order_create(s.account_id, p_project, p_service, p_cert_type, p_certificate_id);
BEGIN
    RETURN order_json((SELECT o FROM orders o WHERE o.id = v_id));
END
$$;
COMMENT ON FUNCTION api.order_create(text, text, text, text, text, bigint) IS 'POST /api/orders: a new draft (201)';

-- GET /api/orders/{id}
CREATE FUNCTION api.order_get(p_token text, p_order_id text)
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

-- PUT /api/orders/{id}/info, step 1: which form the order takes (org or
-- personal), for the module to check the fields against
CREATE FUNCTION api.order_cert_type(p_token text, p_csrf text, p_order_id text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
BEGIN
    RETURN (applicant_order(s.account_id, p_order_id, false)).cert_type;
END
$$;
COMMENT ON FUNCTION api.order_cert_type(text, text, text) IS
    'PUT /api/orders/{id}/info, step 1: the certificate type of the account''s order (404 if not its own)';

-- PUT /api/orders/{id}/info: every value checked by the module; the order
-- locked, so that a submission waits for the edit or the edit for it
CREATE FUNCTION api.order_info_put(p_token text, p_csrf text, p_order_id text,
                                   p_org_name text, p_uscc text, p_handler_name text,
                                   p_person_name text, p_person_id_masked text,
                                   p_person_id_digest text, p_person_id_sealed text,
                                   p_mobile text, p_email text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
BEGIN
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
COMMENT ON FUNCTION api.order_info_put(text, text, text, text, text, text, text, text, text, text, text, text) IS
    'PUT /api/orders/{id}/info: 基本信息 (draft or rejected only: CH409)';

-- keeps a title in 我的发票抬头 (the first one is the default); an equal
-- title is only touched, not repeated
CREATE FUNCTION invoice_title_keep(p_account_id bigint, p_title_type text, p_title text,
                                   p_taxpayer_id text)
RETURNS invoice_titles
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    t invoice_titles;
BEGIN
    PERFORM FROM accounts WHERE id = p_account_id FOR UPDATE;
    IF (SELECT count(*) FROM invoice_titles WHERE account_id = p_account_id) >= 20
       AND NOT EXISTS (SELECT FROM invoice_titles WHERE account_id = p_account_id
                       AND title = p_title AND taxpayer_id IS NOT DISTINCT FROM p_taxpayer_id)
    THEN
        PERFORM raise_api_error('CH422', 'too_many', '发票抬头最多保存20个', 'save_title');
    END IF;
    INSERT INTO invoice_titles AS it (account_id, title_type, title, taxpayer_id, is_default)
    VALUES (p_account_id, p_title_type, p_title, p_taxpayer_id,
            NOT EXISTS (SELECT FROM invoice_titles WHERE account_id = p_account_id))
    ON CONFLICT (account_id, title, taxpayer_id) DO UPDATE
       SET title_type = EXCLUDED.title_type, updated_at = now()
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- PUT /api/orders/{id}/invoice
CREATE FUNCTION api.order_invoice_put(p_token text, p_csrf text, p_order_id text,
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
    RETURN order_json(o);
END
$$;
COMMENT ON FUNCTION api.order_invoice_put(text, text, text, text, text, text, text, text, text, boolean) IS
    'PUT /api/orders/{id}/invoice: 开票信息, optionally kept in 我的发票抬头 (draft or rejected only: CH409)';

-- POST /api/orders/{id}/submit: the agreement and the delivery, then the
-- transition to pending_payment.  What is missing is answered as a list
-- (422 incomplete) before anything is written.
CREATE FUNCTION api.order_submit(p_token text, p_csrf text, p_order_id text,
                                 p_agree boolean, p_delivery text, p_address_id bigint,
                                 p_pickup_point text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         sessions := session_check(p_token, p_csrf, true);
    o         orders := applicant_order(s.account_id, p_order_id, true);
    a         addresses;
    v_missing jsonb;
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

    v_missing := order_missing(o)::jsonb;
    IF NOT coalesce(p_agree, false) THEN
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
COMMENT ON FUNCTION api.order_submit(text, text, text, boolean, text, bigint, text) IS
    'POST /api/orders/{id}/submit: agreement and delivery, then draft -> pending_payment (422 incomplete with the list)';

-- POST /api/orders/{id}/cancel
CREATE FUNCTION api.order_cancel(p_token text, p_csrf text, p_order_id text)
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

-- '%' and '_' typed by a user are letters, not wildcards
CREATE FUNCTION like_escape(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
RETURN replace(replace(replace(p_text, '\', '\\'), '%', '\%'), '_', '\_');

-- GET /api/orders: my orders, newest first.  Every filter is optional;
-- p_q matches a part of the organisation or person name (trigram index),
-- the certificate's name, a whole USCC, or a whole ID number by its
-- digest (p_q_digest, made by the module).  Dates are Beijing days of the
-- submission, both included.
CREATE FUNCTION api.orders(p_token text, p_state text, p_project text, p_service text,
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
          AND (p_state IS NULL OR o.state = p_state)
          AND (p_project IS NULL OR o.project_code = p_project)
          AND (p_service IS NULL OR o.service = p_service)
          AND (p_from IS NULL OR o.submitted_at >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND (p_to IS NULL OR o.submitted_at < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND (p_q IS NULL
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
                        'state_name', order_state_name(st.name, pg.state, pg.delivery_method),
                        'invoice_state', order_invoice_state(o),
                        'invoice_state_name', invoice_state_name(order_invoice_state(o)),
                        'amount_fen', pg.amount_fen)
                      ORDER BY pg.created_at DESC, pg.id DESC)
            FROM page pg
            JOIN orders o ON o.id = pg.id
            JOIN projects p ON p.code = pg.project_code
            JOIN services sv ON sv.code = pg.service
            JOIN cert_types ct ON ct.code = pg.cert_type
            JOIN order_states st ON st.code = pg.state),
           (SELECT count(*) FROM found)
      INTO v_rows, v_total;

    RETURN json_build_object('orders', coalesce(v_rows, '[]'::json),
                             'page', v_page, 'per_page', v_per, 'total', v_total);
END
$$;
COMMENT ON FUNCTION api.orders(text, text, text, text, text, text, date, date, integer, integer) IS
    'GET /api/orders: my orders filtered by state, project, service, text, submission dates; paged, newest first';

-- GET /api/orders/{id}/application-form: what the printed 申请表 says, as
-- columns the module renders (it opens the sealed ID number itself)
CREATE FUNCTION api.application_form(p_token text, p_order_id text,
    OUT order_id text, OUT project_name text, OUT service text, OUT service_name text,
    OUT cert_type text, OUT cert_type_name text, OUT certificate_serial text,
    OUT org_name text, OUT uscc text, OUT handler_name text, OUT person_name text,
    OUT person_id_sealed text, OUT mobile text, OUT email text, OUT created_on text)
RETURNS record
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
    o orders := applicant_order(s.account_id, p_order_id, false);
BEGIN
    SELECT o.id, p.name, o.service, sv.name, o.cert_type, ct.name, c.serial,
           i.org_name, i.uscc, i.handler_name, i.person_name, i.person_id_sealed,
           i.mobile, i.email, to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY年MM月DD日')
      INTO order_id, project_name, service, service_name, cert_type, cert_type_name,
           certificate_serial, org_name, uscc, handler_name, person_name,
           person_id_sealed, mobile, email, created_on
    FROM projects p, services sv, cert_types ct, order_info i
    LEFT JOIN certificates c ON c.id = o.certificate_id
    WHERE p.code = o.project_code AND sv.code = o.service AND ct.code = o.cert_type
      AND i.order_id = o.id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH409', 'info_missing', '请先填写基本信息，再打印申请表');
    END IF;
END
$$;
COMMENT ON FUNCTION api.application_form(text, text) IS
    'GET /api/orders/{id}/application-form: the values of the printed application form (409 before the information exists)';

-- GET /api/pickup-points
CREATE FUNCTION api.pickup_points()
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object('pickup_points', coalesce(json_agg(json_build_object(
               'code', code, 'name', name, 'address', address, 'phone', phone,
               'hours', hours) ORDER BY sort_order, code), '[]'::json))
    FROM pickup_points WHERE active
$$;

-- The API: addresses and invoice titles -------------------------------------

CREATE FUNCTION address_json(a addresses)
RETURNS json
LANGUAGE sql IMMUTABLE
RETURN json_build_object('id', a.id, 'recipient', a.recipient, 'mobile', a.mobile,
                         'region', a.region, 'detail', a.detail,
                         'postal_code', a.postal_code, 'is_default', a.is_default,
                         'created_at', a.created_at);

CREATE FUNCTION invoice_title_json(t invoice_titles)
RETURNS json
LANGUAGE sql IMMUTABLE
RETURN json_build_object('id', t.id, 'title_type', t.title_type, 'title', t.title,
                         'taxpayer_id', t.taxpayer_id, 'is_default', t.is_default,
                         'created_at', t.created_at);

-- GET /api/addresses, default first then newest
CREATE FUNCTION api.addresses(p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
BEGIN
    RETURN json_build_object('addresses', coalesce(
        (SELECT json_agg(address_json(a) ORDER BY a.is_default DESC, a.created_at DESC, a.id DESC)
         FROM addresses a WHERE a.account_id = s.account_id), '[]'::json));
END
$$;

-- POST /api/addresses (p_id NULL) or PUT /api/addresses/{id}.  The account
-- row is locked: the count limit and the one default hold under
-- concurrent requests.  The first address is the default; p_default moves
-- the default here.
CREATE FUNCTION api.address_save(p_token text, p_csrf text, p_id bigint,
                                 p_recipient text, p_mobile text, p_region text,
                                 p_detail text, p_postal_code text, p_default boolean)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    a addresses;
BEGIN
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    IF p_id IS NULL THEN
        IF (SELECT count(*) FROM addresses WHERE account_id = s.account_id) >= 20 THEN
            PERFORM raise_api_error('CH422', 'too_many', '收货地址最多保存20个');
        END IF;
        INSERT INTO addresses (account_id, recipient, mobile, region, detail, postal_code)
        VALUES (s.account_id, p_recipient, p_mobile, p_region, p_detail, p_postal_code)
        RETURNING * INTO a;
    ELSE
        UPDATE addresses
           SET recipient = p_recipient, mobile = p_mobile, region = p_region,
               detail = p_detail, postal_code = p_postal_code, updated_at = now()
         WHERE id = p_id AND account_id = s.account_id
        RETURNING * INTO a;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH404', 'address_not_found', '收货地址不存在');
        END IF;
    END IF;
    IF coalesce(p_default, false)
       OR NOT EXISTS (SELECT FROM addresses WHERE account_id = s.account_id AND is_default)
    THEN
        UPDATE addresses SET is_default = false
         WHERE account_id = s.account_id AND is_default AND id <> a.id;
        UPDATE addresses SET is_default = true WHERE id = a.id RETURNING * INTO a;
    END IF;
    RETURN address_json(a);
END
$$;

-- DELETE /api/addresses/{id}: the newest remaining one becomes the default
-- if this one was.  Orders keep their own copy of the address.
CREATE FUNCTION api.address_delete(p_token text, p_csrf text, p_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    a addresses;
BEGIN
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    DELETE FROM addresses WHERE id = p_id AND account_id = s.account_id RETURNING * INTO a;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'address_not_found', '收货地址不存在');
    END IF;
    IF a.is_default THEN
        UPDATE addresses SET is_default = true
         WHERE id = (SELECT id FROM addresses WHERE account_id = s.account_id
                     ORDER BY created_at DESC, id DESC LIMIT 1);
    END IF;
    RETURN json_build_object('deleted', a.id);
END
$$;

-- GET /api/invoice-titles
CREATE FUNCTION api.invoice_titles(p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
BEGIN
    RETURN json_build_object('invoice_titles', coalesce(
        (SELECT json_agg(invoice_title_json(t) ORDER BY t.is_default DESC, t.created_at DESC, t.id DESC)
         FROM invoice_titles t WHERE t.account_id = s.account_id), '[]'::json));
END
$$;

-- POST /api/invoice-titles (p_id NULL) or PUT /api/invoice-titles/{id}
CREATE FUNCTION api.invoice_title_save(p_token text, p_csrf text, p_id bigint,
                                       p_title_type text, p_title text, p_taxpayer_id text,
                                       p_default boolean)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    t invoice_titles;
BEGIN
    IF p_title_type = 'org' AND p_taxpayer_id IS NULL THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请输入纳税人识别号', 'taxpayer_id');
    END IF;
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    BEGIN
        IF p_id IS NULL THEN
            IF (SELECT count(*) FROM invoice_titles WHERE account_id = s.account_id) >= 20 THEN
                PERFORM raise_api_error('CH422', 'too_many', '发票抬头最多保存20个');
            END IF;
            INSERT INTO invoice_titles (account_id, title_type, title, taxpayer_id)
            VALUES (s.account_id, p_title_type, p_title, p_taxpayer_id)
            RETURNING * INTO t;
        ELSE
            UPDATE invoice_titles
               SET title_type = p_title_type, title = p_title, taxpayer_id = p_taxpayer_id,
                   updated_at = now()
             WHERE id = p_id AND account_id = s.account_id
            RETURNING * INTO t;
            IF NOT FOUND THEN
                PERFORM raise_api_error('CH404', 'invoice_title_not_found', '发票抬头不存在');
            END IF;
        END IF;
    EXCEPTION WHEN unique_violation THEN
        PERFORM raise_api_error('CH409', 'invoice_title_exists', '该发票抬头已保存', 'title');
    END;
    IF coalesce(p_default, false)
       OR NOT EXISTS (SELECT FROM invoice_titles WHERE account_id = s.account_id AND is_default)
    THEN
        UPDATE invoice_titles SET is_default = false
         WHERE account_id = s.account_id AND is_default AND id <> t.id;
        UPDATE invoice_titles SET is_default = true WHERE id = t.id RETURNING * INTO t;
    END IF;
    RETURN invoice_title_json(t);
END
$$;

-- DELETE /api/invoice-titles/{id}
CREATE FUNCTION api.invoice_title_delete(p_token text, p_csrf text, p_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    t invoice_titles;
BEGIN
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    DELETE FROM invoice_titles WHERE id = p_id AND account_id = s.account_id RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'invoice_title_not_found', '发票抬头不存在');
    END IF;
    IF t.is_default THEN
        UPDATE invoice_titles SET is_default = true
         WHERE id = (SELECT id FROM invoice_titles WHERE account_id = s.account_id
                     ORDER BY created_at DESC, id DESC LIMIT 1);
    END IF;
    RETURN json_build_object('deleted', t.id);
END
$$;

-- The API: messages ---------------------------------------------------------

CREATE FUNCTION unread_messages(p_account_id bigint)
RETURNS bigint
LANGUAGE sql STABLE
RETURN (SELECT count(*) FROM messages WHERE account_id = p_account_id AND read_at IS NULL);

-- GET /api/messages: newest first, all or the unread ones
CREATE FUNCTION api.messages(p_token text, p_page integer, p_per_page integer, p_unread boolean)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s      sessions := session_check(p_token, NULL, false);
    v_page integer := greatest(coalesce(p_page, 1), 1);
    v_per  integer := least(greatest(coalesce(p_per_page, 20), 1), 100);
BEGIN
    RETURN json_build_object(
        'messages', coalesce((
            SELECT json_agg(json_build_object(
                       'id', m.id, 'order_id', m.order_id, 'title', m.title,
                       'body', m.body, 'created_at', m.created_at,
                       'read', m.read_at IS NOT NULL)
                     ORDER BY m.created_at DESC, m.id DESC)
            FROM (SELECT * FROM messages
                  WHERE account_id = s.account_id
                    AND (NOT coalesce(p_unread, false) OR read_at IS NULL)
                  ORDER BY created_at DESC, id DESC
                  LIMIT v_per OFFSET (v_page - 1)::bigint * v_per) m), '[]'::json),
        'unread', unread_messages(s.account_id),
        'page', v_page, 'per_page', v_per,
        'total', (SELECT count(*) FROM messages
                  WHERE account_id = s.account_id
                    AND (NOT coalesce(p_unread, false) OR read_at IS NULL)));
END
$$;

-- POST /api/messages/{id}/read
CREATE FUNCTION api.message_read(p_token text, p_csrf text, p_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
BEGIN
    -- never before the message: one written by a transaction that began
    -- after this one may be older than now()
    UPDATE messages SET read_at = coalesce(read_at, greatest(now(), created_at))
     WHERE id = p_id AND account_id = s.account_id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'message_not_found', '消息不存在');
    END IF;
    RETURN json_build_object('id', p_id, 'read', true, 'unread', unread_messages(s.account_id));
END
$$;

-- POST /api/messages/read-all
CREATE FUNCTION api.messages_read_all(p_token text, p_csrf text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    n bigint;
BEGIN
    UPDATE messages SET read_at = greatest(now(), created_at)
     WHERE account_id = s.account_id AND read_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN json_build_object('read', n, 'unread', 0);
END
$$;
