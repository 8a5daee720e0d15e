-- The back office's work on orders: the queue, an order's page, its files
-- and history, approve / bulk approve / reject, certificate, shipment and
-- pickup.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- written only while the order waits for it (pending_shipment): once the
-- key has left, what was recorded is history
CREATE OR REPLACE FUNCTION order_shipments_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_state text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.order_id <> OLD.order_id THEN
        RAISE EXCEPTION 'a shipment stays with its order'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT o.state INTO v_state FROM orders o WHERE o.id = NEW.order_id FOR SHARE;
    IF NOT FOUND THEN
        RETURN NEW;             -- the foreign key refuses it
    END IF;
    IF v_state <> 'pending_shipment' THEN
        PERFORM raise_api_error('CH409', 'order_not_awaiting_shipment',
                                format('订单当前状态为“%s”，不能登记寄出或自取',
                                       (SELECT name FROM order_states WHERE code = v_state)));
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION order_shipments_guard() IS 'order_shipments is written only while the order is pending_shipment (CH409 order_not_awaiting_shipment)';

CREATE OR REPLACE TRIGGER order_shipments_guard BEFORE INSERT OR UPDATE ON order_shipments
    FOR EACH ROW EXECUTE FUNCTION order_shipments_guard();

-- An order for the back office: locked for an action, CH404 if none
CREATE OR REPLACE FUNCTION staff_order(p_order_id text, p_lock boolean DEFAULT false)
RETURNS orders
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o orders;
BEGIN
    IF p_lock THEN
        SELECT * INTO o FROM orders WHERE id = p_order_id FOR UPDATE;
    ELSE
        SELECT * INTO o FROM orders WHERE id = p_order_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'order_not_found', '订单不存在');
    END IF;
    RETURN o;
END
$$;

COMMENT ON FUNCTION staff_order(text, boolean) IS 'the order (locked FOR UPDATE if asked), or CH404 order_not_found';

-- Reviewing -------------------------------------------------------------------

-- One approval by a reviewer: the transition and its audit row.  Shared
-- by admin.approve and admin.bulk_approve.
CREATE OR REPLACE FUNCTION staff_approve(p_staff_id bigint, p_login text, p_client inet, p_order_id text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o      orders := staff_order(p_order_id, true);
    v_from text := o.state;
BEGIN
    o := order_transition(o.id, 'pending_shipment', 'reviewer', p_staff_id);
    PERFORM staff_audit_add(p_staff_id, p_login, 'approve', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state), NULL, p_client);
    RETURN o.state;
END
$$;

COMMENT ON FUNCTION staff_approve(bigint, text, inet, text) IS 'a reviewer''s approval of one order, audited; returns the new state';

CREATE OR REPLACE FUNCTION admin.approve(p_token text, p_csrf text, p_client inet, p_order_id text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s record := staff_acting(p_token, p_csrf, 'reviewer');
BEGIN
    RETURN staff_approve(s.staff_id, s.login, p_client, p_order_id);
END
$$;

COMMENT ON FUNCTION admin.approve(text, text, inet, text) IS
    '审核通过 (reviewer): pending_review -> pending_shipment; CH409 illegal_transition, voucher_unconfirmed; returns the new state';

-- Many approvals at once: each order in a subtransaction of its own, so
-- one that cannot be approved (another reviewer was first, the voucher is
-- not confirmed) is reported and the others go on.  The orders are taken
-- in the order of their ids, not of the selection: an approved order stays
-- locked until the end, and two reviewers approving overlapping selections
-- must lock in the same order, or each could wait for the other
-- (a deadlock, which would fail both requests).
CREATE OR REPLACE FUNCTION admin.bulk_approve(p_token text, p_csrf text, p_client inet, p_order_ids text[])
RETURNS TABLE (order_id text, ok boolean, message text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s          record := staff_acting(p_token, p_csrf, 'reviewer');
    v_ids      text[];
    v_id       text;
    v_answers  jsonb := '{}';
    v_sqlstate text;
    v_message  text;
BEGIN
    -- blanks dropped, duplicates folded, the order of the selection kept
    SELECT array_agg(x.id ORDER BY x.n) INTO v_ids
    FROM (SELECT DISTINCT ON (btrim(u.id)) btrim(u.id) AS id, u.n
          FROM unnest(p_order_ids) WITH ORDINALITY AS u (id, n)
          WHERE staff_text(u.id) IS NOT NULL
          ORDER BY btrim(u.id), u.n) x;
    IF v_ids IS NULL THEN
        PERFORM raise_api_error('CH422', 'selection_empty', '请选择要审核的订单', 'order_ids');
    ELSIF cardinality(v_ids) > 100 THEN
        PERFORM raise_api_error('CH422', 'selection_too_large', '一次最多审核100个订单', 'order_ids');
    END IF;

    FOR v_id IN SELECT x FROM unnest(v_ids) x ORDER BY x LOOP
        BEGIN
            PERFORM staff_approve(s.staff_id, s.login, p_client, v_id);
            v_answers := v_answers || jsonb_build_object(v_id, jsonb_build_array(true, '已审核通过'));
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
            -- a refusal is this order's answer; anything else is a bug,
            -- and stops the whole request
            IF v_sqlstate NOT LIKE 'CH%' THEN
                RAISE;
            END IF;
            v_answers := v_answers || jsonb_build_object(v_id, jsonb_build_array(false, v_message));
        END;
    END LOOP;

    RETURN QUERY
        SELECT u.id, (v_answers->u.id->>0)::boolean, v_answers->u.id->>1
        FROM unnest(v_ids) WITH ORDINALITY AS u (id, n)
        ORDER BY u.n;
END
$$;

COMMENT ON FUNCTION admin.bulk_approve(text, text, inet, text[]) IS
    '批量审核通过 (reviewer): 1 to 100 orders, each approved or not on its own: (order_id, ok, message); CH422 selection_empty, selection_too_large';

-- Shipping ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION staff_awaiting_shipment(o orders, p_what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF o.state <> 'pending_shipment' THEN
        PERFORM raise_api_error('CH409', 'order_not_awaiting_shipment',
                                format('订单当前状态为“%s”，不能%s', order_state_label(o.state), p_what));
    END IF;
END
$$;

COMMENT ON FUNCTION staff_awaiting_shipment(orders, text) IS 'CH409 order_not_awaiting_shipment unless the order is pending_shipment';

-- 登记证书: the certificate issued for the order, before the key leaves.
-- Recorded again while the order still waits (a typo corrected), it is
-- updated, not duplicated: certificates.order_id is unique.
CREATE OR REPLACE FUNCTION admin.certificate_record(p_token text, p_csrf text, p_client inet, p_order_id text,
                                         p_serial text, p_valid_from date, p_valid_to date)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'shipper');
    o        orders := staff_order(p_order_id, true);
    v_serial text := upper(staff_text(p_serial));
    v_name   text;
    c        certificates;
    v_before jsonb;
    v_after  jsonb;
BEGIN
    PERFORM staff_awaiting_shipment(o, '登记证书');
    IF o.service = 'unlock' THEN
        PERFORM raise_api_error('CH409', 'certificate_not_needed', '解锁业务寄回原证书，无需登记新证书');
    END IF;
    IF v_serial IS NULL OR v_serial !~ '^[0-9A-F]{8,40}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_serial', '证书序列号应为8至40位十六进制数字', 'serial');
    END IF;
    IF p_valid_from IS NULL THEN
        PERFORM raise_api_error('CH422', 'invalid_validity', '请填写有效期起始日期', 'valid_from');
    ELSIF p_valid_to IS NULL OR p_valid_to <= p_valid_from THEN
        PERFORM raise_api_error('CH422', 'invalid_validity', '有效期截止日期应晚于起始日期', 'valid_to');
    END IF;
    PERFORM FROM certificates x WHERE x.serial = v_serial AND x.order_id IS DISTINCT FROM o.id;
    IF FOUND THEN
        PERFORM raise_api_error('CH409', 'serial_taken', '该证书序列号已登记', 'serial');
    END IF;

    SELECT coalesce(i.org_name, i.person_name) INTO STRICT v_name FROM order_info i WHERE i.order_id = o.id;
    SELECT * INTO c FROM certificates x WHERE x.order_id = o.id FOR UPDATE;
    IF FOUND THEN
        v_before := jsonb_build_object('serial', c.serial,
                                       'valid_from', (c.valid_from AT TIME ZONE 'Asia/Shanghai')::date,
                                       'valid_to', (c.valid_to AT TIME ZONE 'Asia/Shanghai')::date);
    END IF;
    -- Beijing days: from the first second of the first to the last of the last
    INSERT INTO certificates AS x (account_id, project_code, cert_type, serial, name,
                                   valid_from, valid_to, order_id)
    VALUES (o.account_id, o.project_code, o.cert_type, v_serial, v_name,
            p_valid_from::timestamp AT TIME ZONE 'Asia/Shanghai',
            (p_valid_to + time '23:59:59') AT TIME ZONE 'Asia/Shanghai', o.id)
    ON CONFLICT (order_id) DO UPDATE
       SET serial = EXCLUDED.serial, name = EXCLUDED.name,
           valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to;
    v_after := jsonb_build_object('serial', v_serial, 'valid_from', p_valid_from, 'valid_to', p_valid_to);

    PERFORM staff_audit_add(s.staff_id, s.login, 'certificate', o.id, v_serial, v_before, v_after,
                            NULL, p_client);
    RETURN o.state;
END
$$;

COMMENT ON FUNCTION admin.certificate_record(text, text, inet, text, text, date, date) IS
    '登记证书 (shipper): the certificate issued for a pending_shipment order, inserted or corrected; CH409 order_not_awaiting_shipment, serial_taken, certificate_not_needed (unlock); CH422 invalid_serial, invalid_validity';

-- 快递寄出: the shipment, then the transition whose message names it
CREATE OR REPLACE FUNCTION admin.ship(p_token text, p_csrf text, p_client inet, p_order_id text,
                           p_courier text, p_tracking_no text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s          record := staff_acting(p_token, p_csrf, 'shipper');
    o          orders := staff_order(p_order_id, true);
    v_courier  couriers;
    v_number   text := upper(staff_text(p_tracking_no));
    v_from     text := o.state;
BEGIN
    IF o.delivery_method IS DISTINCT FROM 'express' THEN
        PERFORM raise_api_error('CH409', 'not_express', '该订单选择受理点自取，请登记自取');
    END IF;
    SELECT * INTO v_courier FROM couriers c WHERE c.code = p_courier;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH422', 'unknown_courier', '请选择快递公司', 'courier');
    END IF;
    IF v_number IS NULL OR v_number !~ '^[A-Z0-9]{6,40}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_tracking_no', '运单号应为6至40位字母或数字', 'tracking_no');
    END IF;
    PERFORM staff_awaiting_shipment(o, '登记寄出');

    INSERT INTO order_shipments AS x (order_id, method, courier, tracking_no, staff_id)
    VALUES (o.id, 'express', v_courier.code, v_number, s.staff_id)
    ON CONFLICT (order_id) DO UPDATE
       SET method = 'express', courier = EXCLUDED.courier, tracking_no = EXCLUDED.tracking_no,
           picked_up_by = NULL, staff_id = EXCLUDED.staff_id, recorded_at = now();
    o := order_transition(o.id, 'shipped', 'shipper', s.staff_id, v_courier.name || ' ' || v_number);

    PERFORM staff_audit_add(s.staff_id, s.login, 'ship', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state, 'courier', v_courier.code,
                                               'tracking_no', v_number),
                            v_courier.name || ' ' || v_number, p_client);
    RETURN o.state;
END
$$;

COMMENT ON FUNCTION admin.ship(text, text, inet, text, text, text) IS
    '快递寄出 (shipper): courier and tracking number, pending_shipment -> shipped; CH409 not_express, order_not_awaiting_shipment, certificate_required; CH422 unknown_courier, invalid_tracking_no';

-- 受理点自取
CREATE OR REPLACE FUNCTION admin.pickup(p_token text, p_csrf text, p_client inet, p_order_id text,
                             p_picked_up_by text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       record := staff_acting(p_token, p_csrf, 'shipper');
    o       orders := staff_order(p_order_id, true);
    v_who   text := staff_text(p_picked_up_by);
    v_from  text := o.state;
BEGIN
    IF o.delivery_method IS DISTINCT FROM 'pickup' THEN
        PERFORM raise_api_error('CH409', 'not_pickup', '该订单选择快递邮寄，请登记快递寄出');
    END IF;
    IF char_length(v_who) > 50 THEN
        PERFORM raise_api_error('CH422', 'invalid_picked_up_by', '领取人不能超过50个字', 'picked_up_by');
    END IF;
    PERFORM staff_awaiting_shipment(o, '登记自取');

    INSERT INTO order_shipments AS x (order_id, method, picked_up_by, staff_id)
    VALUES (o.id, 'pickup', v_who, s.staff_id)
    ON CONFLICT (order_id) DO UPDATE
       SET method = 'pickup', courier = NULL, tracking_no = NULL,
           picked_up_by = EXCLUDED.picked_up_by, staff_id = EXCLUDED.staff_id, recorded_at = now();
    o := order_transition(o.id, 'pending_invoice', 'shipper', s.staff_id);

    PERFORM staff_audit_add(s.staff_id, s.login, 'pickup', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state, 'picked_up_by', v_who),
                            NULL, p_client);
    RETURN o.state;
END
$$;

COMMENT ON FUNCTION admin.pickup(text, text, inet, text, text) IS
    '受理点自取 (shipper): pending_shipment -> pending_invoice; CH409 not_pickup, order_not_awaiting_shipment, certificate_required; CH422 invalid_picked_up_by';

-- Reads -------------------------------------------------------------------------

-- The orders the queue's filters select (all states when p_state is
-- NULL), shared by admin.queue and admin.queue_counts so the counts are
-- of the rows listed.  p_q is classified by its shape:
--   UO + digits      a prefix of the order id
--   11 digits        the account's phone or the information's mobile
--   a USCC           exactly the organisation's code
--   anything else    a part of the organisation's or the person's name
CREATE OR REPLACE FUNCTION staff_queue_ids(p_state text, p_project text, p_service text, p_cert_type text,
                                p_from date, p_to date, p_q text)
RETURNS TABLE (order_id text)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    WITH q AS (
        SELECT v, CASE WHEN upper(v) ~ '^UO[0-9]{0,18}$' THEN 'id'
                       WHEN v ~ '^[0-9]{11}$' THEN 'phone'
                       WHEN upper(v) ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$' THEN 'uscc'
                       WHEN v IS NOT NULL THEN 'name' END AS kind
        FROM (SELECT staff_text(p_q) AS v) x
    )
    SELECT o.id
    FROM q, orders o
    JOIN accounts a ON a.id = o.account_id
    LEFT JOIN order_info i ON i.order_id = o.id
    WHERE (nullif(p_state, '') IS NULL OR o.state = p_state)
      AND (nullif(p_project, '') IS NULL OR o.project_code = p_project)
      AND (nullif(p_service, '') IS NULL OR o.service = p_service)
      AND (nullif(p_cert_type, '') IS NULL OR o.cert_type = p_cert_type)
      -- the submission's Beijing day; drafts (never submitted) by creation
      AND (p_from IS NULL OR coalesce(o.submitted_at, o.created_at)
                             >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND (p_to IS NULL OR coalesce(o.submitted_at, o.created_at)
                           < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND CASE q.kind
              WHEN 'id' THEN o.id LIKE upper(q.v) || '%'
              WHEN 'phone' THEN a.phone = q.v OR i.mobile = q.v
              WHEN 'uscc' THEN i.uscc = upper(q.v)
              WHEN 'name' THEN coalesce(i.org_name || ' ', '') || i.person_name
                               ILIKE '%' || like_escape(q.v) || '%'
              ELSE true
          END
$$;

COMMENT ON FUNCTION staff_queue_ids(text, text, text, text, date, date, text) IS
    'the ids of the orders the back office''s queue filters select (NULL or empty: all)';

CREATE OR REPLACE FUNCTION admin.queue_counts(p_project text, p_service text, p_cert_type text,
                                   p_from date, p_to date, p_q text)
RETURNS TABLE (state text, name text, n bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT st.code, st.name, count(o.id)
    FROM order_states st
    LEFT JOIN (staff_queue_ids(NULL, p_project, p_service, p_cert_type, p_from, p_to, p_q) f
               JOIN orders o ON o.id = f.order_id) ON o.state = st.code
    GROUP BY st.code, st.name, st.sort_order
    ORDER BY st.code <> 'pending_review', st.sort_order
$$;

COMMENT ON FUNCTION admin.queue_counts(text, text, text, date, date, text) IS
    'how many orders of each state (every state, 0 too) the queue''s other filters select; pending_review first';

CREATE OR REPLACE FUNCTION admin.order_detail(p_order_id text)
RETURNS TABLE (id text, state text, state_name text, project_code text, project_name text,
               service text, service_name text, cert_type text, cert_type_name text,
               account_phone text, realname_name text, created_at timestamptz,
               submitted_at timestamptz, state_entered_at timestamptz, amount_fen bigint,
               price_fen bigint, org_name text, uscc text, handler_name text, person_name text,
               person_id_masked text, mobile text, email text, invoice_title_type text,
               invoice_title text, invoice_taxpayer_id text, invoice_email text,
               invoice_mobile text, invoice_remark text, delivery_method text,
               delivery_recipient text, delivery_mobile text, delivery_region text,
               delivery_detail text, delivery_postal_code text, pickup_name text,
               pickup_address text, transfer_payee text, transfer_bank text,
               transfer_account text, transfer_amount_fen bigint, voucher_state text,
               voucher_payer text, old_cert_serial text, old_cert_valid_to timestamptz,
               cert_serial text, cert_valid_from timestamptz, cert_valid_to timestamptz,
               courier_name text, tracking_no text, picked_up_by text, shipped_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    -- RETURN QUERY wants the declared types exactly: the columns of the
    -- field domains (0012) are cast back to their text
    RETURN QUERY
        SELECT o.id, o.state, order_state_name(st.name, o.state, o.delivery_method),
               o.project_code, p.name, o.service, sv.name, o.cert_type, ct.name,
               a.phone::text, a.realname_name, o.created_at, o.submitted_at, o.state_entered_at,
               o.amount_fen::bigint, ps.price_fen::bigint,
               i.org_name, i.uscc::text, i.handler_name, i.person_name, i.person_id_masked,
               i.mobile::text, i.email::text,
               inv.title_type, inv.title, inv.taxpayer_id::text, inv.email::text, inv.mobile::text,
               inv.remark,
               o.delivery_method, o.delivery_recipient, o.delivery_mobile, o.delivery_region,
               o.delivery_detail, o.delivery_postal_code, pp.name, pp.address,
               t.payee, t.bank, t.account, t.amount_fen::bigint,
               CASE WHEN v.material_id IS NULL THEN 'none' ELSE coalesce(v.decision, 'pending') END,
               v.payer_name,
               oc.serial, oc.valid_to, nc.serial, nc.valid_from, nc.valid_to,
               cr.name, sh.tracking_no, sh.picked_up_by, sh.recorded_at
        FROM staff_order(p_order_id) o
        JOIN accounts a ON a.id = o.account_id
        JOIN order_states st ON st.code = o.state
        JOIN projects p ON p.code = o.project_code
        JOIN services sv ON sv.code = o.service
        JOIN cert_types ct ON ct.code = o.cert_type
        JOIN project_services ps USING (project_code, service, cert_type)
        CROSS JOIN order_voucher(o.id) v
        LEFT JOIN order_info i ON i.order_id = o.id
        LEFT JOIN order_invoice inv ON inv.order_id = o.id
        LEFT JOIN pickup_points pp ON pp.code = o.pickup_point
        LEFT JOIN order_transfers t ON t.order_id = o.id
        LEFT JOIN certificates oc ON oc.id = o.certificate_id
        LEFT JOIN certificates nc ON nc.order_id = o.id
        LEFT JOIN order_shipments sh ON sh.order_id = o.id
        LEFT JOIN couriers cr ON cr.code = sh.courier;
END
$$;

COMMENT ON FUNCTION admin.order_detail(text) IS
    'one order for the back office: applicant, information, invoice, delivery, transfer and voucher state, the certificate it is for and the one issued, the shipment; CH404 order_not_found';

CREATE OR REPLACE FUNCTION admin.order_files(p_order_id text)
RETURNS TABLE (id bigint, kind text, kind_name text, original_name text, format text,
               media_type text, size_bytes bigint, width integer, height integer, pages integer,
               uploaded_at timestamptz, replaced_at timestamptz, replaced_by text,
               is_current boolean)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT m.id, m.kind, mk.name, m.original_name, m.format, material_media_type(m.format),
               m.size_bytes, m.width, m.height, m.pages, m.uploaded_at, m.replaced_at, m.replaced_by,
               m.replaced_at IS NULL
        FROM staff_order(p_order_id) o
        JOIN materials m ON m.order_id = o.id
        JOIN material_kinds mk ON mk.code = m.kind
        ORDER BY mk.sort_order, m.replaced_at IS NOT NULL, m.id DESC;
END
$$;

COMMENT ON FUNCTION admin.order_files(text) IS
    'every file of the order (the offer''s materials and the voucher), kind by kind, the current one first then the older ones newest first; CH404';

CREATE OR REPLACE FUNCTION admin.order_kinds(p_order_id text)
RETURNS TABLE (kind text, name text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT mk.code, mk.name
        FROM staff_order(p_order_id) o
        JOIN project_service_materials psm USING (project_code, service, cert_type)
        JOIN material_kinds mk ON mk.code = psm.material_kind
        ORDER BY mk.sort_order;
END
$$;

COMMENT ON FUNCTION admin.order_kinds(text) IS 'the material kinds of the order''s offer, for the rejection form; CH404';

-- What the member may do with the order now: the buttons of the order page.
-- The same rules as the actions themselves and the triggers.
CREATE OR REPLACE FUNCTION admin.order_actions(p_order_id text, p_staff_id bigint)
RETURNS TABLE (action text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT a.action
        FROM staff_order(p_order_id) o
        CROSS JOIN order_voucher(o.id) v
        CROSS JOIN (SELECT staff_roles_of(p_staff_id) AS roles
                    WHERE EXISTS (SELECT FROM staff s WHERE s.id = p_staff_id AND s.active)) r
        CROSS JOIN LATERAL (VALUES
            (1, 'approve', 'reviewer' = ANY (r.roles) AND o.state = 'pending_review'
                           AND (v.material_id IS NULL OR v.decision IS NOT NULL)),
            (2, 'reject', 'reviewer' = ANY (r.roles) AND o.state = 'pending_review'),
            (3, 'voucher_confirm', 'finance' = ANY (r.roles) AND o.state = 'pending_review'
                                   AND v.material_id IS NOT NULL AND v.decision IS NULL),
            (4, 'voucher_refuse', 'finance' = ANY (r.roles) AND o.state = 'pending_review'
                                  AND v.material_id IS NOT NULL AND v.decision IS NULL),
            (5, 'certificate', 'shipper' = ANY (r.roles) AND o.state = 'pending_shipment'
                               AND o.service <> 'unlock'),
            (6, 'ship', 'shipper' = ANY (r.roles) AND o.state = 'pending_shipment'
                        AND o.delivery_method = 'express'),
            (7, 'pickup', 'shipper' = ANY (r.roles) AND o.state = 'pending_shipment'
                          AND o.delivery_method = 'pickup')) AS a (n, action, allowed)
        WHERE a.allowed
        ORDER BY a.n;
END
$$;

COMMENT ON FUNCTION admin.order_actions(text, bigint) IS
    'what the staff member may do with the order now: approve, reject, voucher_confirm, voucher_refuse, certificate, ship, pickup; CH404';

-- A stored file for the back office to send, once it is known to be the
-- order's; every view is audited (who looked at whose ID card).
CREATE OR REPLACE FUNCTION admin.file(p_staff_id bigint, p_client inet, p_order_id text, p_material_id bigint,
                           OUT sha256 text, OUT media_type text, OUT format text,
                           OUT original_name text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    m       materials;
    v_kind  text;
    v_login text;
BEGIN
    SELECT s.login INTO v_login FROM staff s WHERE s.id = p_staff_id AND s.active;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH401', 'not_logged_in', '请先登录');
    END IF;
    SELECT * INTO m FROM materials x WHERE x.id = p_material_id AND x.order_id = p_order_id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'file_not_found', '文件不存在');
    END IF;
    SELECT mk.name INTO STRICT v_kind FROM material_kinds mk WHERE mk.code = m.kind;
    PERFORM staff_audit_add(p_staff_id, v_login, 'file_view', m.order_id, m.id::text, NULL, NULL,
                            v_kind, p_client);
    sha256 := m.sha256;
    media_type := material_media_type(m.format);
    format := m.format;
    original_name := m.original_name;
END
$$;

COMMENT ON FUNCTION admin.file(bigint, inet, text, bigint) IS
    'which stored file to send for a material of the order (CH404 file_not_found otherwise); audited as file_view';

-- The back office's timeline of an order, with the transition's action
-- (ship, pick_up, reject ...), so that page_order.c labels the event's
-- note by it (快递：顺丰速运 SF…, 原因：…) instead of by guessing.  The
-- columns grow, so the function is made anew.
DROP FUNCTION IF EXISTS admin.order_timeline(text);

CREATE OR REPLACE FUNCTION admin.order_timeline(p_order_id text)
RETURNS TABLE (at timestamptz, from_name text, to_name text, action_name text,
               actor_name text, staff_name text, reason text, action text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT e.created_at, fs.name, ts.name, coalesce(t.action_name, '创建订单'), ak.name,
               CASE WHEN e.actor_kind IN ('reviewer', 'finance', 'shipper') THEN s.name END,
               e.reason, coalesce(t.action, 'create')
        FROM staff_order(p_order_id) o
        JOIN order_events e ON e.order_id = o.id
        JOIN order_states ts ON ts.code = e.to_state
        JOIN actor_kinds ak ON ak.code = e.actor_kind
        LEFT JOIN order_states fs ON fs.code = e.from_state
        LEFT JOIN order_transitions t
               ON (t.from_state, t.to_state, t.actor_kind) = (e.from_state, e.to_state, e.actor_kind)
        LEFT JOIN staff s ON s.id = e.actor_id AND e.actor_kind IN ('reviewer', 'finance', 'shipper')
        ORDER BY e.id;
END
$$;

COMMENT ON FUNCTION admin.order_timeline(text) IS 'the order''s events in order, with the staff member''s name for staff events and the transition''s action (create for the first); CH404';

-- The back office -------------------------------------------------------------

-- 审核不通过: the reason the applicant reads names the files to upload
-- again, in the kinds' order, so the message and the timeline say it
-- without the applicant opening anything else.  The rejection keeps the
-- digests of the information and the invoice as they were, for "what
-- changed since".
CREATE OR REPLACE FUNCTION admin.reject(p_token text, p_csrf text, p_client inet, p_order_id text,
                                        p_reason text, p_kinds text[])
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'reviewer');
    v_reason text := staff_text(p_reason);
    o        orders;
    v_from   text;
    v_kinds  text[];
    v_names  text;
    v_text   text;
BEGIN
    IF v_reason IS NULL THEN
        PERFORM raise_api_error('CH422', 'reason_required', '请填写审核不通过的原因', 'reason');
    ELSIF char_length(v_reason) > 300 THEN
        PERFORM raise_api_error('CH422', 'reason_too_long', '原因不能超过300个字', 'reason');
    END IF;

    o := staff_order(p_order_id, true);
    v_from := o.state;

    IF EXISTS (SELECT FROM unnest(p_kinds) k
               WHERE k IS NULL OR NOT EXISTS (
                   SELECT FROM project_service_materials psm
                   WHERE (psm.project_code, psm.service, psm.cert_type) = (o.project_code, o.service, o.cert_type)
                     AND psm.material_kind = k))
    THEN
        PERFORM raise_api_error('CH422', 'unknown_material', '所选资料不属于该订单', 'kinds');
    END IF;
    SELECT coalesce(array_agg(mk.code ORDER BY mk.sort_order), '{}'),
           string_agg(mk.name, '、' ORDER BY mk.sort_order)
      INTO v_kinds, v_names
    FROM material_kinds mk WHERE mk.code = ANY (p_kinds);

    v_text := v_reason || coalesce('（需重新上传：' || v_names || '）', '');
    o := order_transition(o.id, 'rejected', 'reviewer', s.staff_id, v_text);

    -- the event just written: the order is locked, so it is the newest
    INSERT INTO order_rejections (event_id, order_id, kinds, info_digest, invoice_digest, files)
    SELECT max(e.id), o.id, v_kinds, order_info_digest(o.id), order_invoice_digest(o.id),
           ARRAY(SELECT m.id FROM materials m
                 WHERE m.order_id = o.id AND m.replaced_at IS NULL ORDER BY m.id)
    FROM order_events e WHERE e.order_id = o.id;

    PERFORM staff_audit_add(s.staff_id, s.login, 'reject', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state, 'kinds', to_jsonb(v_kinds)),
                            v_text, p_client);
    RETURN o.state;
END
$$;

COMMENT ON FUNCTION admin.reject(text, text, inet, text, text, text[]) IS
    '审核不通过 (reviewer): pending_review -> rejected with the reason (and the files to upload again), the information and invoice digests and the current files kept; CH422 reason_required, reason_too_long, unknown_material';

-- 订单列表: oldest waiting first, a page at a time, with the total, and
-- resubmissions: how many times the order came back by resubmission (the
-- queue's 重新提交 mark)
DROP FUNCTION IF EXISTS admin.queue(text, text, text, text, date, date, text, integer, integer);

CREATE OR REPLACE FUNCTION admin.queue(p_state text, p_project text, p_service text, p_cert_type text,
                            p_from date, p_to date, p_q text, p_limit integer, p_offset integer)
RETURNS TABLE (id text, state text, state_name text, project_name text, service_name text,
               cert_type_name text, applicant text, uscc text, phone text, amount_fen bigint,
               delivery_method text, submitted_at timestamptz, state_entered_at timestamptz,
               total bigint, resubmissions bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT o.id, o.state, order_state_name(st.name, o.state, o.delivery_method),
           p.name, sv.name, ct.name, coalesce(i.org_name, i.person_name), i.uscc, a.phone,
           o.amount_fen, o.delivery_method, o.submitted_at, o.state_entered_at,
           count(*) OVER (), order_resubmissions(o.id)
    FROM staff_queue_ids(p_state, p_project, p_service, p_cert_type, p_from, p_to, p_q) f
    JOIN orders o ON o.id = f.order_id
    JOIN accounts a ON a.id = o.account_id
    JOIN order_states st ON st.code = o.state
    JOIN projects p ON p.code = o.project_code
    JOIN services sv ON sv.code = o.service
    JOIN cert_types ct ON ct.code = o.cert_type
    LEFT JOIN order_info i ON i.order_id = o.id
    ORDER BY o.state_entered_at, o.id
    LIMIT least(greatest(coalesce(p_limit, 50), 1), 500)
    OFFSET greatest(coalesce(p_offset, 0), 0)
$$;

COMMENT ON FUNCTION admin.queue(text, text, text, text, date, date, text, integer, integer) IS
    'the back office''s order list: filters (NULL/empty = all), p_q by shape (UO prefix, phone, USCC, name), oldest in its state first; total = all matching rows; resubmissions = times resubmitted';

-- What changed since the latest rejection, for the reviewer: one row if
-- the order was ever rejected (else none): when and why, by whom, the
-- materials named, how many times the order was resubmitted, and whether
-- the information and the invoice differ from what they were then
-- (rejections before 0010 kept no digest: then whether they were saved
-- since).
CREATE OR REPLACE FUNCTION admin.order_rejection(p_order_id text)
RETURNS TABLE (rejected_at timestamptz, reason text, staff_name text, kind_names text,
               resubmissions bigint, info_changed boolean, invoice_changed boolean)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT r.at, r.reason, s.name,
               (SELECT string_agg(k.kind_name, '、' ORDER BY k.sort_order)
                FROM order_rejection_kinds(p_order_id) k),
               order_resubmissions(p_order_id),
               CASE WHEN r.info_digest IS NOT NULL
                    THEN r.info_digest <> order_info_digest(p_order_id)
                    ELSE EXISTS (SELECT FROM order_info i
                                 WHERE i.order_id = p_order_id AND i.updated_at > r.at) END,
               CASE WHEN r.invoice_digest IS NOT NULL
                    THEN r.invoice_digest <> order_invoice_digest(p_order_id)
                    ELSE EXISTS (SELECT FROM order_invoice v
                                 WHERE v.order_id = p_order_id AND v.updated_at > r.at) END
        FROM order_last_rejection(p_order_id) r
        LEFT JOIN staff s ON s.id = r.staff_id;
END
$$;

COMMENT ON FUNCTION admin.order_rejection(text) IS
    'the latest rejection of the order (no row if none): time, reason, reviewer, materials named, times resubmitted, whether the information and the invoice changed since; CH404';

-- The materials since the latest rejection, kind by kind (the offer's
-- kinds, then the voucher if it has one): whether the rejection named
-- it, and what the applicant did since: uploaded (the current file is
-- newer), deleted (no current file, removed since), or nothing.  No rows
-- if the order was never rejected.
CREATE OR REPLACE FUNCTION admin.order_changes(p_order_id text)
RETURNS TABLE (kind text, kind_name text, named boolean, change text, at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT mk.code, mk.name, mk.code = ANY (r.kinds),
               CASE WHEN material_after(cur, r.at, r.files) THEN 'uploaded'
                    WHEN cur.id IS NULL AND del.at IS NOT NULL THEN 'deleted'
                    ELSE 'none' END,
               CASE WHEN material_after(cur, r.at, r.files) THEN cur.uploaded_at
                    WHEN cur.id IS NULL THEN del.at END
        FROM order_last_rejection(p_order_id) r
        JOIN orders o ON o.id = p_order_id
        JOIN project_service_materials psm USING (project_code, service, cert_type)
        JOIN material_kinds mk ON mk.code = psm.material_kind
        LEFT JOIN materials cur ON cur.order_id = o.id AND cur.kind = mk.code
                               AND cur.replaced_at IS NULL
        -- the newest removal of a file of the kind since the rejection: a
        -- removal happens only while the order may be edited, so one since
        -- the rejection is later than it (or removes a file current then)
        LEFT JOIN LATERAL (SELECT max(m.replaced_at) AS at FROM materials m
                           WHERE m.order_id = o.id AND m.kind = mk.code
                             AND m.replaced_by = 'delete'
                             AND (m.replaced_at > r.at OR m.id = ANY (r.files))) del ON true
        ORDER BY mk.sort_order;
END
$$;

COMMENT ON FUNCTION admin.order_changes(text) IS
    'the order''s materials since its latest rejection: named by it or not, and uploaded / deleted / none since, with when; no rows if never rejected; CH404';
