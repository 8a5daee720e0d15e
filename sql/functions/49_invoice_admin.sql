-- Finance's side of the e-invoices: the invoice queue (admin.invoices), an
-- order's requests with their sends and invoices (admin.order_invoices),
-- a failed request put back in the queue (admin.invoice_retry), the
-- correction of a title (admin.invoice_correct: a red invoice against the
-- issued one, then a new blue one; or, before anything was issued, the
-- request replaced), and which stored file of an issued request staff get
-- (admin.invoice_file).  The tables, the queueing and the sender's
-- functions are 48_invoices.sql's.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- The staff member of the invoice queue and its actions: a live session
-- (with the form's token for a write), finance or admin.
CREATE OR REPLACE FUNCTION invoice_staff(p_token text, p_csrf text, p_write boolean,
                              OUT staff_id bigint, OUT login text, OUT name text,
                              OUT roles text[], OUT csrf text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT * INTO staff_id, login, name, roles, csrf FROM admin.session(p_token, p_csrf, p_write);
    IF NOT roles && ARRAY['finance', 'admin'] THEN
        PERFORM raise_api_error('CH403', 'role_forbidden',
                                '您没有权限执行此操作（需要：财务或管理员）');
    END IF;
END
$$;

COMMENT ON FUNCTION invoice_staff(text, text, boolean) IS
    'admin.session() of the invoice pages and actions, then finance or admin: CH401, CH403 csrf_failed or role_forbidden';

-- What a correction of the order's title would be now:
--   'reverse'  an invoice is issued and nothing is under way: a red one
--              against it, then a new blue one with the new title;
--   'replace'  nothing issued yet, and the open request can be dropped
--              safely: never sent, or the platform refused it outright
--              (it issued nothing), so a new request with a new serial
--              takes its place;
--   NULL       nothing to correct, or a send whose outcome is not known
--              yet (the platform may have issued it: only the same serial
--              may be sent again).
CREATE OR REPLACE FUNCTION invoice_correction_kind(p_order_id text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT CASE
        WHEN (order_current_invoice(p_order_id)).id IS NOT NULL
             THEN CASE WHEN r.id IS NULL THEN 'reverse' END
        WHEN r.state IN ('queued', 'failed') AND r.kind = 'blue'
             AND (r.first_sent_at IS NULL OR r.definite_refusal)
             THEN 'replace'
        END
    FROM (SELECT NULL) one
    LEFT JOIN LATERAL (
        SELECT x.* FROM invoice_requests x
        WHERE x.order_id = p_order_id AND x.state IN ('queued', 'sending', 'failed')
        ORDER BY x.id DESC LIMIT 1) r ON true
$$;

COMMENT ON FUNCTION invoice_correction_kind(text) IS
    'what admin.invoice_correct would do now: reverse (red + new blue), replace (an unsent or refused request replaced), NULL (nothing, or an outcome not known yet)';

-- A request's JSON for the queue and the order page
CREATE OR REPLACE FUNCTION invoice_request_json(r invoice_requests, i invoices)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'order_id', r.order_id, 'serial', r.serial, 'kind', r.kind,
        'state', r.state, 'attempts', r.attempts, 'next_try_at', r.next_try_at,
        -- the new blue request of a correction, waiting for its red one
        'waiting', r.state = 'queued' AND r.next_try_at = 'infinity',
        'last_error', r.last_error, 'last_error_at', r.last_error_at,
        'definite_refusal', r.definite_refusal,
        'original_request_id', r.original_request_id,
        'original_serial', (SELECT x.serial FROM invoice_requests x
                            WHERE x.id = r.original_request_id),
        'title_type', r.title_type, 'buyer_name', r.buyer_name,
        'buyer_taxpayer_id', r.buyer_taxpayer_id, 'buyer_email', r.buyer_email,
        'buyer_mobile', r.buyer_mobile, 'remark', r.remark, 'item_name', r.item_name,
        'price_fen', r.price_fen, 'quantity', r.quantity, 'amount_fen', r.amount_fen,
        'created_by_kind', r.created_by_kind,
        'created_by_name', (SELECT s.name FROM staff s WHERE s.id = r.created_by_staff),
        'created_at', r.created_at, 'first_sent_at', r.first_sent_at,
        'issued_at', r.issued_at,
        'fpdm', i.fpdm, 'fphm', i.fphm, 'kprq', i.kprq,
        'reversed', i.reversed_by_request_id IS NOT NULL)
$$;

COMMENT ON FUNCTION invoice_request_json(invoice_requests, invoices) IS
    'a request as the invoice queue and the order page show it, with its invoice''s numbers';

-- GET /admin/invoices: the requests, failed ones (waiting for finance)
-- first, then the newest; by state, by order id, serial, title or invoice
-- number (q), by the Beijing day they were queued; with the count of each
-- state under the same q and days.
CREATE OR REPLACE FUNCTION admin.invoices(p_token text, p_state text, p_q text, p_from date,
                               p_to date, p_page integer, p_per_page integer)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       record := invoice_staff(p_token, NULL, false);
    v_state text := nullif(btrim(p_state), '');
    v_q     text := staff_text(p_q);
    v_per   integer := least(greatest(coalesce(p_per_page, 50), 1), 200);
    v_page  integer := least(greatest(coalesce(p_page, 1), 1), 100000);
    v_out   json;
BEGIN
    IF v_state IS NOT NULL
       AND v_state NOT IN ('queued', 'sending', 'failed', 'issued', 'cancelled') THEN
        PERFORM raise_api_error('CH422', 'invalid_state', '请选择正确的发票状态', 'state');
    ELSIF char_length(v_q) > 50 THEN
        PERFORM raise_api_error('CH422', 'q_too_long', '搜索内容不能超过50个字', 'q');
    END IF;

    WITH base AS (
        SELECT r, i
        FROM invoice_requests r
        LEFT JOIN invoices i ON i.request_id = r.id
        WHERE (v_q IS NULL
               OR r.order_id ILIKE '%' || like_escape(v_q) || '%'
               OR r.serial ILIKE '%' || like_escape(v_q) || '%'
               OR r.buyer_name ILIKE '%' || like_escape(v_q) || '%'
               OR i.fphm = v_q)
          AND (p_from IS NULL OR r.created_at >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND (p_to IS NULL OR r.created_at < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
    ), shown AS (
        SELECT b.r, b.i, count(*) OVER () AS total
        FROM base b
        WHERE v_state IS NULL OR (b.r).state = v_state
        ORDER BY (b.r).state = 'failed' DESC, (b.r).created_at DESC, (b.r).id DESC
        LIMIT v_per OFFSET (v_page - 1) * v_per
    )
    SELECT json_build_object(
        'items', coalesce((SELECT json_agg(invoice_request_json(x.r, x.i)
                                           ORDER BY (x.r).state = 'failed' DESC,
                                                    (x.r).created_at DESC, (x.r).id DESC)
                           FROM shown x), '[]'),
        'total', coalesce((SELECT max(x.total) FROM shown x),
                          (SELECT count(*) FROM base b
                           WHERE v_state IS NULL OR (b.r).state = v_state)),
        'page', v_page, 'per_page', v_per,
        'counts', (SELECT json_build_object(
                       'queued', count(*) FILTER (WHERE (b.r).state = 'queued'),
                       'sending', count(*) FILTER (WHERE (b.r).state = 'sending'),
                       'failed', count(*) FILTER (WHERE (b.r).state = 'failed'),
                       'issued', count(*) FILTER (WHERE (b.r).state = 'issued'),
                       'cancelled', count(*) FILTER (WHERE (b.r).state = 'cancelled'))
                   FROM base b))
    INTO v_out;
    RETURN v_out;
END
$$;

COMMENT ON FUNCTION admin.invoices(text, text, text, date, date, integer, integer) IS
    'the invoice queue (finance, admin): {items, total, page, per_page, counts{queued, sending, failed, issued, cancelled}}; failed first, then newest; CH403, CH422 invalid_state / q_too_long';

-- The e-invoice section of the back office's order page: every request of
-- the order, oldest first, with its sends and its invoice (the stored
-- files' SHA-256), the current invoice, and what a correction would be
-- (for finance and the admin, who may make it).
CREATE OR REPLACE FUNCTION admin.order_invoices(p_token text, p_order_id text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s     record := admin.session(p_token, NULL, false);
    cur   invoices;
BEGIN
    PERFORM FROM orders o WHERE o.id = p_order_id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'order_not_found', '订单不存在');
    END IF;
    cur := order_current_invoice(p_order_id);
    RETURN json_build_object(
        'order_id', p_order_id,
        'may_act', s.roles && ARRAY['finance', 'admin'],
        'correction', invoice_correction_kind(p_order_id),
        'current', CASE WHEN cur.id IS NOT NULL THEN
                       json_build_object('request_id', cur.request_id, 'fpdm', cur.fpdm,
                                         'fphm', cur.fphm, 'kprq', cur.kprq) END,
        'requests', coalesce((
            SELECT json_agg(invoice_request_json(r, i)
                || jsonb_build_object(
                       'invoice', CASE WHEN i.id IS NOT NULL THEN jsonb_build_object(
                           'id', i.id, 'fpdm', i.fpdm, 'fphm', i.fphm, 'kprq', i.kprq,
                           'total_fen', i.total_fen, 'net_fen', i.net_fen,
                           'tax_fen', i.tax_fen, 'email', i.email,
                           'pdf_sha256', i.pdf_sha256, 'pdf_size', i.pdf_size,
                           'request_xml_sha256', i.request_xml_sha256,
                           'answer_xml_sha256', i.answer_xml_sha256,
                           'reversed_by_request_id', i.reversed_by_request_id,
                           'created_at', i.created_at) END,
                       'sends', coalesce((
                           SELECT jsonb_agg(jsonb_build_object(
                                      'n', a.n, 'started_at', a.started_at,
                                      'finished_at', a.finished_at, 'outcome', a.outcome,
                                      'message', a.message) ORDER BY a.n)
                           FROM invoice_attempts a WHERE a.request_id = r.id), '[]'))
                ORDER BY r.id)
            FROM invoice_requests r LEFT JOIN invoices i ON i.request_id = r.id
            WHERE r.order_id = p_order_id), '[]'));
END
$$;

COMMENT ON FUNCTION admin.order_invoices(text, text) IS
    'an order''s e-invoice requests (any staff): {order_id, may_act, correction, current, requests[{..., invoice, sends}]}; CH401, CH404 order_not_found';

-- 重新开具 (finance, admin): a request that failed (N failures, or a request
-- that could not be built) goes back in the queue with its serial, to be
-- sent at the next run; the count of failures starts again.  Audited.
CREATE OR REPLACE FUNCTION admin.invoice_retry(p_token text, p_csrf text, p_client inet,
                                    p_request_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s record := invoice_staff(p_token, p_csrf, true);
    r invoice_requests;
BEGIN
    SELECT * INTO r FROM invoice_requests x WHERE x.id = p_request_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'invoice_request_not_found', '开票请求不存在');
    ELSIF r.state <> 'failed' THEN
        PERFORM raise_api_error('CH409', 'invoice_not_failed',
                                '该开票请求不是开具失败状态，无需重新开具');
    END IF;
    UPDATE invoice_requests x
    SET state = 'queued', attempts = 0, next_try_at = now(), lease_until = NULL,
        lease_token = NULL
    WHERE x.id = r.id;
    PERFORM staff_audit_add(s.staff_id, s.login, 'invoice_retry', r.order_id, r.serial,
                            jsonb_build_object('state', r.state, 'attempts', r.attempts,
                                               'last_error', r.last_error),
                            jsonb_build_object('state', 'queued', 'attempts', 0),
                            NULL, p_client);
    RETURN json_build_object('id', r.id, 'order_id', r.order_id, 'serial', r.serial,
                             'state', 'queued');
END
$$;

COMMENT ON FUNCTION admin.invoice_retry(text, text, inet, bigint) IS
    '重新开具 (finance, admin): a failed request queued again with its serial, attempts 0, audited invoice_retry; CH404 invoice_request_not_found, CH409 invoice_not_failed';

-- 冲红重开 (finance, admin): the title of the order's invoice corrected.
-- Issued: a red request against the current invoice (the original's
-- content, which the sender negates) and a new blue one with the new title
-- that waits (next_try_at 'infinity') until the red one is issued
-- (admin.invoice_issued sends it on).  Not issued yet, the open request
-- never sent or refused outright: it is cancelled and a new one with the
-- new title queued.  Either way order_invoice gets the new title, and the
-- trail the reason.  The order's state does not change.
CREATE OR REPLACE FUNCTION admin.invoice_correct(p_token text, p_csrf text, p_client inet,
                                      p_order_id text, p_title_type text, p_title text,
                                      p_taxpayer_id text, p_email text, p_mobile text,
                                      p_remark text, p_reason text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := invoice_staff(p_token, p_csrf, true);
    v_reason text := staff_text(p_reason);
    v_title  text := staff_text(p_title);
    v_tax    text := upper(staff_text(p_taxpayer_id));
    v_email  text := staff_text(p_email);
    v_mobile text := staff_text(p_mobile);
    v_remark text := staff_text(p_remark);
    v_kind   text;
    o        orders;
    cur      invoices;
    orig     invoice_requests;
    open_r   invoice_requests;
    red      invoice_requests;
    blue     invoice_requests;
BEGIN
    IF v_reason IS NULL THEN
        PERFORM raise_api_error('CH422', 'reason_required', '请填写更正原因', 'reason');
    ELSIF char_length(v_reason) > 256 THEN
        PERFORM raise_api_error('CH422', 'reason_too_long', '更正原因不能超过256个字', 'reason');
    ELSIF p_title_type IS NULL OR p_title_type NOT IN ('org', 'personal') THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '请选择抬头类型', 'title_type');
    ELSIF v_title IS NULL OR char_length(v_title) NOT BETWEEN 2 AND 100 THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '发票抬头须为2-100个字', 'title');
    ELSIF p_title_type = 'org' AND v_tax IS NULL THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '请输入纳税人识别号', 'taxpayer_id');
    ELSIF v_tax !~ '^[0-9A-Z]{15}$|^[0-9A-Z]{17,18}$|^[0-9A-Z]{20}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '纳税人识别号格式不正确', 'taxpayer_id');
    ELSIF v_email IS NULL OR char_length(v_email) > 254 OR v_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '电子邮箱格式不正确', 'email');
    ELSIF v_mobile IS NULL OR v_mobile !~ '^1[3-9][0-9]{9}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '手机号码格式不正确', 'mobile');
    ELSIF char_length(v_remark) > 100 THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '发票备注不能超过100个字', 'remark');
    END IF;

    -- the order, then its requests: the sender's admin.invoice_issued
    -- locks them in the same order
    SELECT * INTO o FROM orders x WHERE x.id = p_order_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'order_not_found', '订单不存在');
    END IF;
    PERFORM FROM invoice_requests x WHERE x.order_id = o.id ORDER BY x.id FOR UPDATE;

    v_kind := invoice_correction_kind(o.id);
    cur := order_current_invoice(o.id);
    SELECT * INTO open_r FROM invoice_requests x
    WHERE x.order_id = o.id AND x.state IN ('queued', 'sending', 'failed')
    ORDER BY x.id DESC LIMIT 1;

    IF v_kind IS NULL AND cur.id IS NOT NULL THEN
        PERFORM raise_api_error('CH409', 'invoice_correction_open',
                                '该订单的发票更正正在进行中，请等待其完成');
    ELSIF v_kind IS NULL AND open_r.state = 'sending' THEN
        PERFORM raise_api_error('CH409', 'invoice_in_progress',
                                '发票正在开具，暂不能更正，请稍后再试');
    ELSIF v_kind IS NULL AND open_r.id IS NOT NULL THEN
        PERFORM raise_api_error('CH409', 'invoice_outcome_unknown',
                                '上次发送的结果不明（税务平台可能已开具），请先重新开具以取得结果');
    ELSIF v_kind IS NULL THEN
        PERFORM raise_api_error('CH409', 'invoice_not_issued', '该订单尚无可更正的发票');
    END IF;

    IF v_kind = 'reverse' THEN
        SELECT * INTO STRICT orig FROM invoice_requests x WHERE x.id = cur.request_id;
        INSERT INTO invoice_requests (order_id, kind, original_request_id, title_type,
                                      buyer_name, buyer_taxpayer_id, buyer_email, buyer_mobile,
                                      remark, item_name, price_fen, quantity, amount_fen,
                                      created_by_kind, created_by_staff)
        VALUES (o.id, 'red', orig.id, orig.title_type, orig.buyer_name, orig.buyer_taxpayer_id,
                orig.buyer_email, orig.buyer_mobile, orig.remark, orig.item_name,
                orig.price_fen, orig.quantity, orig.amount_fen, 'finance', s.staff_id)
        RETURNING * INTO red;
    ELSE
        orig := open_r;
        UPDATE invoice_requests x
        SET state = 'cancelled', cancelled_at = now(), lease_until = NULL, lease_token = NULL
        WHERE x.id = open_r.id;
    END IF;

    -- the order's 开票信息 is what the invoice is to say (order_details_guard
    -- lets finance's correction through in any state), and the new blue
    -- request is made from it: after the red one, or at the next run
    PERFORM set_config('certhall.invoice_correct', o.id, true);
    UPDATE order_invoice x
    SET title_type = p_title_type, title = v_title, taxpayer_id = v_tax, email = v_email,
        mobile = v_mobile, remark = v_remark
    WHERE x.order_id = o.id;
    PERFORM set_config('certhall.invoice_correct', '', true);
    blue := invoice_request_queue(o, 'finance', s.staff_id,
                                  CASE WHEN v_kind = 'reverse' THEN 'infinity'::timestamptz
                                       ELSE now() END);

    PERFORM staff_audit_add(s.staff_id, s.login, 'invoice_correct', o.id, blue.serial,
                            jsonb_build_object('serial', orig.serial, 'state', orig.state,
                                               'title', orig.buyer_name,
                                               'taxpayer_id', orig.buyer_taxpayer_id,
                                               'email', orig.buyer_email,
                                               'fpdm', cur.fpdm, 'fphm', cur.fphm),
                            jsonb_build_object('correction', v_kind,
                                               'red_serial', red.serial,
                                               'blue_serial', blue.serial,
                                               'title', blue.buyer_name,
                                               'taxpayer_id', blue.buyer_taxpayer_id,
                                               'email', blue.buyer_email),
                            v_reason, p_client);

    RETURN json_build_object('order_id', o.id, 'correction', v_kind,
                             'red_request_id', red.id, 'red_serial', red.serial,
                             'blue_request_id', blue.id, 'blue_serial', blue.serial);
END
$$;

COMMENT ON FUNCTION admin.invoice_correct(text, text, inet, text, text, text, text, text, text, text, text) IS
    '冲红重开 (finance, admin): issued -> red request + new blue one waiting for it; unsent or refused -> replaced by a new request; order_invoice updated; audited invoice_correct; CH404 order_not_found, CH409 invoice_not_issued / invoice_correction_open / invoice_in_progress / invoice_outcome_unknown, CH422 the fields and reason';

-- A stored file of an issued request for staff (page_invoice_file, sent by
-- nginx from the storage): its PDF, or the request or answer XML as sent
-- and received.
CREATE OR REPLACE FUNCTION admin.invoice_file(p_staff_id bigint, p_request_id bigint, p_what text,
                                   OUT sha256 text, OUT size bigint, OUT name text,
                                   OUT media_type text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    r invoice_requests;
    i invoices;
BEGIN
    PERFORM FROM staff s WHERE s.id = p_staff_id AND s.active;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH401', 'not_logged_in', '请先登录');
    END IF;
    SELECT * INTO r FROM invoice_requests x WHERE x.id = p_request_id;
    SELECT * INTO i FROM invoices x WHERE x.request_id = p_request_id;
    IF r.id IS NULL THEN
        PERFORM raise_api_error('CH404', 'invoice_request_not_found', '开票请求不存在');
    ELSIF i.id IS NULL THEN
        PERFORM raise_api_error('CH404', 'invoice_not_issued', '发票尚未开具');
    END IF;
    IF p_what = 'pdf' THEN
        sha256 := i.pdf_sha256;
        size := i.pdf_size;
        name := CASE r.kind WHEN 'red' THEN '红字发票_' ELSE '电子发票_' END || i.fphm || '.pdf';
        media_type := 'application/pdf';
    ELSIF p_what IN ('request', 'answer') THEN
        sha256 := CASE p_what WHEN 'request' THEN i.request_xml_sha256 ELSE i.answer_xml_sha256 END;
        name := CASE p_what WHEN 'request' THEN '开票请求_' ELSE '开票应答_' END || r.serial || '.xml';
        media_type := 'application/xml';
    END IF;
    IF sha256 IS NULL THEN
        PERFORM raise_api_error('CH404', 'file_not_found', '文件不存在');
    END IF;
END
$$;

COMMENT ON FUNCTION admin.invoice_file(bigint, bigint, text) IS
    'which stored file of an issued request to send to staff: pdf, request or answer (XML); CH401, CH404 invoice_request_not_found / invoice_not_issued / file_not_found';
