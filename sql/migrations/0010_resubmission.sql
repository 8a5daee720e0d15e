-- Schema v1, part 7: the resubmission after a rejection (重新提交, issue #13).
--
-- A reviewer rejects an order under review with a reason and, in
-- order_rejections, the materials to upload again (0007).  The applicant
-- corrects the order (information, invoice and materials stay editable
-- while it is rejected, 0005/0006) and sends it back to review:
-- POST /api/orders/{id}/resubmit, rejected -> pending_review through
-- order_transition() (the transition 'resubmit' of 0003, with its message).
--
-- What a resubmission needs is one function, order_resubmit_missing():
-- everything the first submission needed (order_missing: information,
-- required materials, invoice) and, for each material the latest rejection
-- named, a file uploaded after that rejection.  The state machine's
-- trigger (orders_submission_check) asks it whoever moves the order, the
-- api function answers its list (422 incomplete, as the submission does),
-- the order's JSON shows it to the website, and the applicant's actions
-- offer 'resubmit' only when it is empty.
--
-- The order is paid already (a rejection happens under review, after the
-- payment): the resubmission never asks for money again, keeps amount_fen
-- and submitted_at, and keeps the transfer and its voucher with finance's
-- decision on it (a confirmed voucher stays confirmed, so the reviewer may
-- approve at once; one not judged yet is judged under review as before).
--
-- For the back office: each rejection keeps a digest of the information
-- and the invoice as they were (order_rejections), so the order page says
-- whether they changed since, beside the files re-uploaded; the queue
-- marks the orders that came back by resubmission, and how many times.

SET LOCAL timezone = 'Asia/Shanghai';

-- What the information and the invoice said at the rejection ---------------

-- A digest of what the applicant filled in, without the times of the
-- writes (saving the same values again is no change).  The ID number is
-- compared by its keyed digest: the sealed text differs at every seal.
CREATE FUNCTION order_info_digest(p_order_id text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce((SELECT md5(row(i.org_name, i.uscc, i.handler_name, i.person_name,
                                    i.person_id_digest, i.mobile, i.email)::text)
                     FROM order_info i WHERE i.order_id = p_order_id), 'none')
$$;
COMMENT ON FUNCTION order_info_digest(text) IS
    'md5 of the order''s 基本信息 values (the ID number by its digest), ''none'' without any: what changed since a rejection';

CREATE FUNCTION order_invoice_digest(p_order_id text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce((SELECT md5(row(v.title_type, v.title, v.taxpayer_id, v.email, v.mobile,
                                    v.remark)::text)
                     FROM order_invoice v WHERE v.order_id = p_order_id), 'none')
$$;
COMMENT ON FUNCTION order_invoice_digest(text) IS
    'md5 of the order''s 开票信息 values, ''none'' without any: what changed since a rejection';

-- and which files were current then: a file "uploaded again" is a current
-- file that was not among them.  The rejection locks the order and every
-- upload takes its lock too (materials_guard), so the list is exact; the
-- clock is not (a transaction's now() is when it began, not when it
-- took the lock).
ALTER TABLE order_rejections
    ADD COLUMN info_digest text CHECK (info_digest ~ '^([0-9a-f]{32}|none)$'),
    ADD COLUMN invoice_digest text CHECK (invoice_digest ~ '^([0-9a-f]{32}|none)$'),
    ADD COLUMN files bigint[];
COMMENT ON COLUMN order_rejections.files IS
    'the ids of the order''s current files (materials) at the rejection; NULL for rejections made before 0010 (then the upload time tells)';
COMMENT ON COLUMN order_rejections.info_digest IS
    'order_info_digest() at the rejection; NULL for rejections made before 0010 (then the write time tells)';
COMMENT ON COLUMN order_rejections.invoice_digest IS
    'order_invoice_digest() at the rejection; NULL for rejections made before 0010';

-- The latest rejection of an order -----------------------------------------

-- The newest rejection event of the order with the materials it named
-- (none for a rejection without an order_rejections row), or no row.
CREATE FUNCTION order_last_rejection(p_order_id text,
    OUT event_id bigint, OUT at timestamptz, OUT reason text, OUT staff_id bigint,
    OUT kinds text[], OUT info_digest text, OUT invoice_digest text, OUT files bigint[])
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT e.id, e.created_at, e.reason, e.actor_id, coalesce(r.kinds, '{}'),
           r.info_digest, r.invoice_digest, r.files
    FROM order_events e
    LEFT JOIN order_rejections r ON r.event_id = e.id
    WHERE e.order_id = p_order_id AND e.to_state = 'rejected'
    ORDER BY e.id DESC
    LIMIT 1
$$;
COMMENT ON FUNCTION order_last_rejection(text) IS
    'the newest rejection of the order: event, time, reason, reviewer, the kinds named, the digests and the current files at the time; no row if never rejected';

-- Whether a current file was uploaded after the rejection: it was not
-- among the files current then (before 0010: it is newer than the
-- rejection).
CREATE FUNCTION material_after(p_file materials, p_at timestamptz, p_files bigint[])
RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_file.id IS NULL THEN false
            WHEN p_files IS NULL THEN p_file.uploaded_at > p_at
            ELSE NOT (p_file.id = ANY (p_files)) END;
COMMENT ON FUNCTION material_after(materials, timestamptz, bigint[]) IS
    'a file (current) uploaded after the rejection of p_at that kept the list p_files of the files current then';

-- The materials the latest rejection named, each with whether a file was
-- uploaded for it since.
CREATE FUNCTION order_rejection_kinds(p_order_id text)
RETURNS TABLE (kind text, kind_name text, sort_order integer, replaced boolean,
               uploaded_at timestamptz)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT mk.code, mk.name, mk.sort_order, material_after(m, r.at, r.files),
           CASE WHEN material_after(m, r.at, r.files) THEN m.uploaded_at END
    FROM order_last_rejection(p_order_id) r
    JOIN material_kinds mk ON mk.code = ANY (r.kinds)
    LEFT JOIN materials m ON m.order_id = p_order_id AND m.kind = mk.code
                         AND m.replaced_at IS NULL
    ORDER BY mk.sort_order
$$;
COMMENT ON FUNCTION order_rejection_kinds(text) IS
    'the materials the latest rejection asked to upload again, in order, with replaced = a file of the kind uploaded after the rejection is current';

-- What a resubmission still needs -------------------------------------------

-- As order_missing() (information, required materials, invoice: the first
-- submission's rules, which a correction may have broken by removing a
-- file), and for each material the latest rejection named that has no
-- file uploaded since, {"item":"material","kind","message":"请重新上传…"}
-- (a required one with no file at all is already "请上传…").  In the
-- order of the steps and the kinds.
CREATE FUNCTION order_resubmit_missing(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    WITH first AS (
        SELECT e AS item,
               CASE e->>'item' WHEN 'info' THEN 1 WHEN 'material' THEN 2 ELSE 3 END AS step,
               coalesce(mk.sort_order, 0) AS sort_order
        FROM json_array_elements(order_missing(p_order)) e
        LEFT JOIN material_kinds mk ON mk.code = e->>'kind'
    )
    SELECT coalesce(json_agg(m.item ORDER BY m.step, m.sort_order), '[]'::json)
    FROM (
        SELECT item, step, sort_order FROM first
        UNION ALL
        SELECT json_build_object('item', 'material', 'kind', k.kind,
                                 'message', '请重新上传' || k.kind_name),
               2, k.sort_order
        FROM order_rejection_kinds(p_order.id) k
        WHERE NOT k.replaced
          AND NOT EXISTS (SELECT FROM first f WHERE f.item->>'kind' = k.kind)
    ) AS m
$$;
COMMENT ON FUNCTION order_resubmit_missing(orders) IS
    'what a rejected order lacks before it may go back to review: order_missing() and each material the latest rejection named not uploaded since; [{"item","kind","message"}]';

-- The latest rejection as the website shows it: when, why, and the
-- materials named with whether each was uploaded again.
CREATE FUNCTION order_rejection_json(p_order_id text)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object(
        'at', r.at,
        'reason', r.reason,
        'kinds', coalesce((SELECT json_agg(json_build_object(
                                   'kind', k.kind, 'kind_name', k.kind_name,
                                   'replaced', k.replaced, 'uploaded_at', k.uploaded_at)
                                 ORDER BY k.sort_order)
                           FROM order_rejection_kinds(p_order_id) k), '[]'::json))
    FROM order_last_rejection(p_order_id) r
$$;
COMMENT ON FUNCTION order_rejection_json(text) IS
    'the latest rejection: {"at","reason","kinds":[{"kind","kind_name","replaced","uploaded_at"}]}, NULL if never rejected';

-- The state machine refuses an incomplete resubmission --------------------

-- As in 0006, and a resubmission also needs what order_resubmit_missing()
-- adds: the files the rejection named, uploaded again.
CREATE OR REPLACE FUNCTION orders_submission_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_missing json;
BEGIN
    IF (OLD.state = 'draft' AND NEW.state = 'pending_payment')
       OR (OLD.state = 'rejected' AND NEW.state = 'pending_review')
    THEN
        v_missing := CASE WHEN OLD.state = 'rejected' THEN order_resubmit_missing(NEW)
                          ELSE order_missing(NEW) END;
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
COMMENT ON FUNCTION orders_submission_check() IS
    'a draft is submitted only with its information, required materials, invoice, agreement and delivery; a rejected order is resubmitted only with those and the files its latest rejection named uploaded again';

-- The applicant's actions and the order's JSON -------------------------------

-- As in 0005, and 'resubmit' (重新提交) while rejected with nothing missing
CREATE OR REPLACE FUNCTION order_actions(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(a.action ORDER BY a.n), '[]'::json)
    FROM (VALUES (1, 'edit', order_editable(p_order.state)),
                 (2, 'submit', p_order.state = 'draft'),
                 (3, 'resubmit', p_order.state = 'rejected'
                                 AND json_array_length(order_resubmit_missing(p_order)) = 0),
                 (4, 'cancel', EXISTS (SELECT FROM order_transitions t
                                       WHERE t.from_state = p_order.state
                                         AND t.to_state = 'cancelled'
                                         AND t.actor_kind = 'applicant')))
         AS a (n, action, allowed)
    WHERE a.allowed
$$;
COMMENT ON FUNCTION order_actions(orders) IS
    'what the applicant may do with the order now: edit, submit, resubmit (rejected, nothing missing), cancel';

-- As in 0006, and:
--   "state_name"    as the applicant sees it (资料待审核, 0008)
--   "agreements"    the versions of the texts agreed, and when (0009)
--   "voucher_decision"  finance's decision on the current transfer
--                   voucher: confirmed, refused, or null (not judged, none)
--   "paid_fen"      what has been paid: the amount finance confirmed on
--                   the current voucher, else 0
--   "resubmission"  while rejected: {"allowed","missing","rejection"}, the
--                   list of order_resubmit_missing() and the latest
--                   rejection (order_rejection_json); null otherwise
CREATE OR REPLACE FUNCTION order_json(p_order orders)
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
        'state_name', order_state_applicant_name(st.name, o.state, o.delivery_method),
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
        'materials', order_materials_json(p_order),
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
        'agreements', order_agreements_json(p_order),
        'transfer', (SELECT json_build_object(
                         'payee', t.payee, 'bank', t.bank, 'account', t.account,
                         'amount_fen', t.amount_fen, 'chosen_at', t.chosen_at)
                     FROM order_transfers t WHERE t.order_id = o.id),
        'voucher', (SELECT material_json(m) FROM materials m
                    WHERE m.order_id = o.id AND m.kind = 'transfer_voucher'
                      AND m.replaced_at IS NULL),
        'voucher_decision', (order_voucher(o.id)).decision,
        'paid_fen', coalesce((SELECT r.amount_fen
                              FROM voucher_reviews r
                              JOIN materials m ON m.id = r.material_id
                              WHERE r.order_id = o.id AND m.replaced_at IS NULL
                                AND r.decision = 'confirmed'), 0),
        'invoice_state', order_invoice_state(o),
        'invoice_state_name', invoice_state_name(order_invoice_state(o)),
        'missing', CASE WHEN o.state = 'draft' THEN order_missing(o) ELSE '[]'::json END,
        'resubmission', CASE WHEN o.state = 'rejected' THEN (
                            SELECT json_build_object(
                                'allowed', json_array_length(x.missing) = 0,
                                'missing', x.missing,
                                'rejection', order_rejection_json(o.id))
                            FROM (SELECT order_resubmit_missing(p_order) AS missing) x)
                        END,
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
COMMENT ON FUNCTION order_json(orders) IS 'the JSON of GET /api/orders/{id}: the order, its certificate, information, materials, invoice, delivery, agreements, transfer, voucher and finance''s decision, what was paid, resubmission (while rejected) and timeline';

-- The API -------------------------------------------------------------------

-- POST /api/orders/{id}/resubmit: the applicant's own order (404 for
-- anyone else's), rejected (409 otherwise), with nothing missing (422
-- incomplete with the list, as the submission answers, before anything is
-- written): rejected -> pending_review through the state machine, with
-- its event and message.  Nothing is paid again: the order keeps its
-- amount, transfer and voucher.
CREATE FUNCTION api.order_resubmit(p_token text, p_csrf text, p_order_id text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         sessions := session_check(p_token, p_csrf, true);
    o         orders := applicant_order(s.account_id, p_order_id, true);
    v_missing json;
BEGIN
    IF o.state <> 'rejected' THEN
        PERFORM raise_api_error('CH409', 'illegal_transition',
                                format('订单当前状态为“%s”，不能重新提交',
                                       (SELECT name FROM order_states WHERE code = o.state)));
    END IF;

    v_missing := order_resubmit_missing(o);
    IF json_array_length(v_missing) > 0 THEN
        RETURN ROW(422,
                   json_build_object('error', json_build_object(
                       'code', 'incomplete',
                       'message', '订单尚不能重新提交：' || (SELECT string_agg(e->>'message', '；')
                                                             FROM json_array_elements(v_missing) e),
                       'missing', v_missing)),
                   NULL, NULL, NULL)::api.answer;
    END IF;

    o := order_transition(o.id, 'pending_review', 'applicant', s.account_id);

    -- a statement of its own: the JSON must see the event just written
    RETURN ROW(200, order_json(o), NULL, NULL, NULL)::api.answer;
END
$$;
COMMENT ON FUNCTION api.order_resubmit(text, text, text) IS
    'POST /api/orders/{id}/resubmit: rejected -> pending_review once order_resubmit_missing() is empty (422 incomplete with the list); CH401/403/404, CH409 illegal_transition';

-- The back office -------------------------------------------------------------

-- 审核不通过, as in 0007, and the rejection keeps the digests of the
-- information and the invoice as they were, for "what changed since".
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

-- how many times the order came back to review by a resubmission
CREATE FUNCTION order_resubmissions(p_order_id text)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT count(*) FROM order_events e
    WHERE e.order_id = p_order_id AND e.from_state = 'rejected' AND e.to_state = 'pending_review'
$$;
COMMENT ON FUNCTION order_resubmissions(text) IS 'how many times the order was resubmitted (rejected -> pending_review)';

-- 订单列表, as in 0007, and resubmissions: how many times the order came
-- back by resubmission (the queue's 重新提交 mark)
DROP FUNCTION admin.queue(text, text, text, text, date, date, text, integer, integer);
CREATE FUNCTION admin.queue(p_state text, p_project text, p_service text, p_cert_type text,
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
CREATE FUNCTION admin.order_rejection(p_order_id text)
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
CREATE FUNCTION admin.order_changes(p_order_id text)
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
