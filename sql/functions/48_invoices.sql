-- E-invoices (issue 18): an order entering pending_invoice queues its blue
-- request; `certhall-admin invoice-send` claims due requests (SKIP LOCKED,
-- a lease), sends each under its serial and reports what the platform said
-- (admin.invoice_issued / admin.invoice_failed); the applicant asks for it
-- at once (开具发票), corrects the title while nothing is on its way, and
-- downloads the PDF.  Finance's queue, retry and correction (冲红重开) are in
-- 49_invoice_admin.sql.
--
-- Exactly once: a request's serial (FPQQLSH) is fixed when the row is made
-- and every send of the request uses it; the platform answers a serial it
-- knows with the invoice it issued for it.  So a lost answer or a sender
-- that died is safe to send again, and admin.invoice_issued believes the
-- platform even from a sender whose lease ran out.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- What a request says is frozen once sent -------------------------------------

-- The platform keeps what it received under the serial: a request sent
-- once must say the same at every retry, or a retry after a lost answer
-- would ask for something the first invoice is not.
CREATE OR REPLACE FUNCTION invoice_request_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF (NEW.order_id, NEW.kind, NEW.original_request_id)
       IS DISTINCT FROM (OLD.order_id, OLD.kind, OLD.original_request_id)
    THEN
        RAISE EXCEPTION 'an invoice request stays with its order and kind'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.first_sent_at IS NOT NULL
       AND (NEW.title_type, NEW.buyer_name, NEW.buyer_taxpayer_id, NEW.buyer_email,
            NEW.buyer_mobile, NEW.remark, NEW.item_name, NEW.price_fen, NEW.quantity,
            NEW.amount_fen, NEW.first_sent_at)
           IS DISTINCT FROM
           (OLD.title_type, OLD.buyer_name, OLD.buyer_taxpayer_id, OLD.buyer_email,
            OLD.buyer_mobile, OLD.remark, OLD.item_name, OLD.price_fen, OLD.quantity,
            OLD.amount_fen, OLD.first_sent_at)
    THEN
        RAISE EXCEPTION 'invoice request % was sent: what it says cannot change', OLD.serial
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION invoice_request_guard() IS
    'an invoice request keeps its order and kind, and what it says once first sent (the platform knows the serial by it)';

CREATE OR REPLACE TRIGGER invoice_request_guard BEFORE UPDATE ON invoice_requests
    FOR EACH ROW EXECUTE FUNCTION invoice_request_guard();

-- Queueing ------------------------------------------------------------------------

-- The line of the invoice: the offer as the catalog names it, as 我的订单
-- shows it (国资云阳光采购平台 单位证书-新办)
CREATE OR REPLACE FUNCTION invoice_item_name(p_order orders)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT p.name || ' ' || ct.name || '-' || sv.short_name
    FROM projects p, cert_types ct, services sv
    WHERE p.code = p_order.project_code AND ct.code = p_order.cert_type
      AND sv.code = p_order.service
$$;

-- A new blue request of the order from its 开票信息 as it is now
CREATE OR REPLACE FUNCTION invoice_request_queue(p_order orders, p_by_kind text,
                                                 p_by_staff bigint DEFAULT NULL,
                                                 p_next_try_at timestamptz DEFAULT now())
RETURNS invoice_requests
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    INSERT INTO invoice_requests (order_id, kind, title_type, buyer_name, buyer_taxpayer_id,
                                  buyer_email, buyer_mobile, remark, item_name, price_fen,
                                  quantity, amount_fen, created_by_kind, created_by_staff,
                                  next_try_at)
    SELECT p_order.id, 'blue', v.title_type, v.title, v.taxpayer_id, v.email, v.mobile,
           v.remark, invoice_item_name(p_order), p_order.amount_fen, 1, p_order.amount_fen,
           p_by_kind, p_by_staff, p_next_try_at
    FROM order_invoice v WHERE v.order_id = p_order.id
    RETURNING *
$$;

COMMENT ON FUNCTION invoice_request_queue(orders, text, bigint, timestamptz) IS
    'queues a blue invoice request of the order with its 开票信息 now (the line: the offer, the order''s amount); no row if the order has no 开票信息';

-- The blue invoice of the order that counts: the latest issued and not
-- reversed (a correction reverses it and issues another)
CREATE OR REPLACE FUNCTION order_current_invoice(p_order_id text)
RETURNS invoices
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT i FROM invoices i
        WHERE i.order_id = p_order_id AND i.kind = 'blue' AND i.reversed_by_request_id IS NULL
        ORDER BY i.id DESC LIMIT 1);
END
$$;

-- The order's open blue request (queued, sending, failed), at most one
CREATE OR REPLACE FUNCTION order_open_invoice_request(p_order_id text)
RETURNS invoice_requests
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT r FROM invoice_requests r
        WHERE r.order_id = p_order_id AND r.kind = 'blue'
          AND r.state IN ('queued', 'sending', 'failed'));
END
$$;

-- Called by order_transition() as an order enters pending_invoice, in its
-- transaction (confirm_receipt, auto_confirm, pick_up: every way in): the
-- blue request is queued to go at the next run; an order that cost nothing
-- needs no invoice and goes on to completed.  Returns the order as it is.
CREATE OR REPLACE FUNCTION invoice_on_pending(p_order orders)
RETURNS orders
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_order.amount_fen = 0 THEN
        RETURN order_transition(p_order.id, 'completed', 'system', NULL,
                                '订单金额为零，无需开具发票');
    END IF;
    IF (order_open_invoice_request(p_order.id)).id IS NULL
       AND (order_current_invoice(p_order.id)).id IS NULL
    THEN
        PERFORM invoice_request_queue(p_order, 'system');
    END IF;
    RETURN p_order;
END
$$;

COMMENT ON FUNCTION invoice_on_pending(orders) IS
    'an order entering pending_invoice: its blue invoice request queued (unless one is open or issued), or, amount 0, the order completed at once';

-- 发票状态 ----------------------------------------------------------------------

-- 发票状态 of an order: issued (已开票) while its current blue invoice is
-- issued and not reversed, pending (开票中) while a request of it is open
-- (queued, sending, failed), else none (未开票)
CREATE OR REPLACE FUNCTION order_invoice_state(p_order orders)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN CASE WHEN (order_current_invoice(p_order.id)).id IS NOT NULL THEN 'issued'
                WHEN EXISTS (SELECT FROM invoice_requests r
                             WHERE r.order_id = p_order.id
                               AND r.state IN ('queued', 'sending', 'failed')) THEN 'pending'
                ELSE 'none' END;
END
$$;

-- The applicant ------------------------------------------------------------------

-- Whether the applicant may change 开票信息 now: before the order is done,
-- while no invoice request is on its way: none open, or the open one never
-- sent, or the platform refused its last send outright (it issued nothing
-- for that serial; a new serial carries the new title).
CREATE OR REPLACE FUNCTION order_invoice_editable(p_order orders)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT p_order.state NOT IN ('completed', 'cancelled')
           AND (r.id IS NULL
                OR (r.state = 'queued' AND r.first_sent_at IS NULL)
                OR (r.state IN ('queued', 'failed') AND r.definite_refusal))
        FROM order_open_invoice_request(p_order.id) r);
END
$$;

COMMENT ON FUNCTION order_invoice_editable(orders) IS
    'PUT /api/orders/{id}/invoice is allowed: draft/rejected, or after submission until completed while no invoice request is on its way (none open, never sent, or last refused outright)';

-- order_details_guard() of order_invoice once the order is submitted: the
-- title may be corrected until the invoice is on its way
-- (order_invoice_editable), or when finance corrects an issued invoice
-- (冲红重开: admin.invoice_correct sets certhall.invoice_correct to the
-- order's id for its transaction).
CREATE OR REPLACE FUNCTION order_invoice_change_check(p_order_id text, p_state text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF current_setting('certhall.invoice_correct', true) = p_order_id THEN
        RETURN;
    ELSIF p_state IN ('completed', 'cancelled') THEN
        PERFORM raise_api_error('CH409', 'order_not_editable',
                                format('订单当前状态为“%s”，不能修改', order_state_label(p_state)));
    ELSIF NOT order_invoice_editable((SELECT o FROM orders o WHERE o.id = p_order_id)) THEN
        PERFORM raise_api_error('CH409', 'invoice_in_progress', '发票正在开具，暂不能修改开票信息');
    END IF;
END
$$;

COMMENT ON FUNCTION order_invoice_change_check(text, text) IS
    'order_invoice of a submitted order changes only until the invoice is on its way (CH409 invoice_in_progress), never once completed or cancelled (CH409 order_not_editable) but in finance''s correction (certhall.invoice_correct)';

-- After the applicant changed 开票信息 (api.order_invoice_put): the open
-- request says the new title too.  Never sent: its snapshot is updated.
-- Refused outright: it is cancelled and a new serial queued.
CREATE OR REPLACE FUNCTION invoice_request_retitle(p_order orders)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    r invoice_requests;
BEGIN
    SELECT * INTO r FROM invoice_requests x
    WHERE x.order_id = p_order.id AND x.kind = 'blue' AND x.state IN ('queued', 'sending', 'failed')
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF r.first_sent_at IS NULL THEN
        UPDATE invoice_requests x
           SET title_type = v.title_type, buyer_name = v.title,
               buyer_taxpayer_id = v.taxpayer_id, buyer_email = v.email,
               buyer_mobile = v.mobile, remark = v.remark
          FROM order_invoice v
         WHERE x.id = r.id AND v.order_id = p_order.id;
    ELSIF r.definite_refusal AND r.state IN ('queued', 'failed') THEN
        UPDATE invoice_requests x SET state = 'cancelled', cancelled_at = now(),
               lease_until = NULL, lease_token = NULL
         WHERE x.id = r.id;
        PERFORM invoice_request_queue(p_order, 'applicant');
    ELSE
        PERFORM raise_api_error('CH409', 'invoice_in_progress', '发票正在开具，暂不能修改开票信息');
    END IF;
END
$$;

COMMENT ON FUNCTION invoice_request_retitle(orders) IS
    'the open invoice request follows a changed 开票信息: snapshot updated (never sent) or cancelled and queued anew (refused outright); CH409 invoice_in_progress otherwise';

-- 开具发票 is offered in pending_invoice only when pressing it does
-- something: no request open and no invoice (it queues one, or says that
-- 开票信息 is missing), or the open one queued to go later than now (a
-- retry's wait: it goes at the next run instead).  A request already due
-- (as queued on entering pending_invoice), being sent or waiting for
-- finance would be answered as if asked anew while nothing changed.
CREATE OR REPLACE FUNCTION order_invoice_requestable(p_order orders)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    r invoice_requests;
BEGIN
    IF p_order.state IS DISTINCT FROM 'pending_invoice' THEN
        RETURN p_order.state = 'pending_invoice';
    END IF;
    -- the open request read once (it was read three times)
    r := order_open_invoice_request(p_order.id);
    RETURN CASE WHEN r.id IS NULL
                THEN (order_current_invoice(p_order.id)).id IS NULL
                ELSE r.state = 'queued' AND r.next_try_at > now() END;
END
$$;

-- POST /api/orders/{id}/invoice-request: 开具发票.  Only queues: the next
-- run of invoice-send sends it.  A second click changes nothing more.
CREATE OR REPLACE FUNCTION api.order_invoice_request(p_token text, p_csrf text, p_order_id text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
    r invoice_requests;
BEGIN
    IF o.state <> 'pending_invoice' THEN
        PERFORM raise_api_error('CH409', 'order_not_pending_invoice',
                                format('订单当前状态为“%s”，不能开具发票',
                                       order_state_label(o.state)));
    END IF;
    r := order_open_invoice_request(o.id);
    IF r.state = 'failed' THEN
        PERFORM raise_api_error('CH409', 'invoice_waiting_finance',
                                '发票开具遇到问题，财务正在处理');
    ELSIF r.state = 'queued' THEN
        UPDATE invoice_requests x SET next_try_at = least(x.next_try_at, now())
         WHERE x.id = r.id;
    ELSIF r.id IS NULL AND (order_current_invoice(o.id)).id IS NULL THEN
        -- no 开票信息 (an order from before submission asked for it): say
        -- so rather than answer as if a request had gone
        IF (invoice_request_queue(o, 'applicant')).id IS NULL THEN
            PERFORM raise_api_error('CH409', 'invoice_info_missing',
                                    '请先填写开票信息，再开具发票');
        END IF;
    END IF;
    RETURN order_json(o);
END
$$;

COMMENT ON FUNCTION api.order_invoice_request(text, text, text) IS
    'POST /api/orders/{id}/invoice-request: 开具发票 by the owner: the queued request goes at the next run (or a new one is queued); CH404 another''s, CH409 order_not_pending_invoice, invoice_waiting_finance (failed), invoice_info_missing (no 开票信息); returns the order JSON';

-- GET /api/orders/{id}/invoice: the PDF of the order's current invoice
CREATE OR REPLACE FUNCTION api.order_invoice_file(p_token text, p_order_id text,
                                                  OUT sha256 text, OUT size bigint,
                                                  OUT name text, OUT media_type text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
    o orders := applicant_order(s.account_id, p_order_id, false);
    i invoices := order_current_invoice(o.id);
BEGIN
    IF i.id IS NULL THEN
        PERFORM raise_api_error('CH404', 'invoice_not_issued', '发票尚未开具');
    END IF;
    sha256 := i.pdf_sha256;
    size := i.pdf_size;
    name := '电子发票_' || i.fphm || '.pdf';
    media_type := 'application/pdf';
END
$$;

COMMENT ON FUNCTION api.order_invoice_file(text, text) IS
    'GET /api/orders/{id}/invoice: (sha256, size, name, media_type) of the current invoice''s PDF in storage; CH404 order_not_found (another''s), invoice_not_issued';

CREATE OR REPLACE FUNCTION api.order_invoice_get(p_token text, p_order_id text)
RETURNS json
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object('sha256', f.sha256, 'size', f.size, 'name', f.name,
                             'media_type', f.media_type)
    FROM api.order_invoice_file(p_token, p_order_id) AS f
$$;

COMMENT ON FUNCTION api.order_invoice_get(text, text) IS
    'GET /api/orders/{id}/invoice as one JSON object: {"sha256","size","name","media_type"}';

-- "einvoice" of the order's JSON: NULL while no request was ever made.
-- The invoice shown is the current one (order_current_invoice); the
-- request, the latest blue one not cancelled.
CREATE OR REPLACE FUNCTION order_einvoice_json(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT json_build_object(
            'state', x.state,
            'request_state', r.state,
            'fpdm', i.fpdm, 'fphm', i.fphm, 'kprq', i.kprq, 'total_fen', i.total_fen,
            'email', coalesce(i.email, r.buyer_email),
            'title', coalesce(ir.buyer_name, r.buyer_name),
            'download_url', CASE WHEN i.id IS NOT NULL
                                 THEN '/api/orders/' || p_order.id || '/invoice' END,
            'message', CASE
                WHEN i.id IS NOT NULL AND x.correcting THEN '发票冲红重开中'
                WHEN i.id IS NOT NULL AND i.email IS NOT NULL THEN '已发送至 ' || i.email
                WHEN i.id IS NOT NULL THEN '发票已开具'
                WHEN r.state = 'failed' THEN '发票开具遇到问题，财务正在处理'
                WHEN r.state IN ('queued', 'sending') THEN '发票开具中'
                ELSE '未开票' END,
            'corrected', EXISTS (SELECT FROM invoices red
                                 WHERE red.order_id = p_order.id AND red.kind = 'red'))
        FROM (SELECT order_invoice_state(p_order) AS state,
                     EXISTS (SELECT FROM invoice_requests c
                             WHERE c.order_id = p_order.id
                               AND c.state IN ('queued', 'sending', 'failed')) AS correcting) x
        CROSS JOIN LATERAL (
            SELECT q.* FROM invoice_requests q
            WHERE q.order_id = p_order.id AND q.kind = 'blue'
            ORDER BY q.state = 'cancelled', q.id DESC LIMIT 1) r
        LEFT JOIN invoices i ON i.id = (order_current_invoice(p_order.id)).id
        LEFT JOIN invoice_requests ir ON ir.id = i.request_id);
END
$$;

COMMENT ON FUNCTION order_einvoice_json(orders) IS
    'the order''s e-invoice for GET /api/orders/{id} ("einvoice"): state (none|pending|issued), request_state, fpdm, fphm, kprq, total_fen, email, title, download_url, message, corrected; NULL while no request was ever made';

-- The sender: certhall-admin invoice-send ----------------------------------------

-- The due requests, claimed for this run (p_token, the run's own) for
-- invoice_policy.lease: queued ones whose time came, and sending ones whose
-- lease ran out (that run died; the same serial is safe to send again).
-- SKIP LOCKED and the lease let several machines run at once.  Each
-- claim counts an attempt and opens its row; the first fixes first_sent_at.
CREATE OR REPLACE FUNCTION admin.invoice_claim(p_limit integer, p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF p_token IS NULL OR btrim(p_token) = '' THEN
        RAISE EXCEPTION 'invoice_claim: a lease token is required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    WITH claimed AS (
        UPDATE invoice_requests r
           SET state = 'sending',
               lease_until = now() + (SELECT lease FROM invoice_policy),
               lease_token = p_token,
               attempts = r.attempts + 1,
               first_sent_at = coalesce(r.first_sent_at, now())
         WHERE r.id IN (
                SELECT x.id FROM invoice_requests x
                WHERE (x.state = 'queued' AND x.next_try_at <= now())
                   OR (x.state = 'sending' AND x.lease_until < now())
                ORDER BY x.next_try_at, x.id
                LIMIT greatest(coalesce(p_limit, 0), 0)
                FOR UPDATE SKIP LOCKED)
        RETURNING r.id)
    SELECT array_agg(id) INTO v_ids FROM claimed;

    IF v_ids IS NULL THEN
        RETURN '[]'::json;
    END IF;
    -- the send of a run that died is over: nobody will tell how it went
    UPDATE invoice_attempts a
       SET finished_at = now(), outcome = 'error', message = '发送中断（租约到期，未收到结果）'
     WHERE a.request_id = ANY (v_ids) AND a.outcome IS NULL;
    -- n counts every send of the request: finance's retry starts attempts
    -- again, the history goes on
    INSERT INTO invoice_attempts (request_id, n, lease_token)
    SELECT r.id, coalesce((SELECT max(a.n) FROM invoice_attempts a WHERE a.request_id = r.id), 0) + 1,
           p_token
    FROM invoice_requests r WHERE r.id = ANY (v_ids);

    RETURN (SELECT json_agg(json_build_object(
                'id', r.id, 'order_id', r.order_id, 'serial', r.serial, 'kind', r.kind,
                'original_fpdm', oi.fpdm, 'original_fphm', oi.fphm,
                'title_type', r.title_type, 'buyer_name', r.buyer_name,
                'buyer_taxpayer_id', r.buyer_taxpayer_id, 'buyer_email', r.buyer_email,
                'buyer_mobile', r.buyer_mobile, 'remark', r.remark,
                'item_name', r.item_name, 'price_fen', r.price_fen, 'quantity', r.quantity,
                'amount_fen', r.amount_fen, 'attempt', r.attempts)
                ORDER BY r.next_try_at, r.id)
            FROM invoice_requests r
            LEFT JOIN invoices oi ON oi.request_id = r.original_request_id
            WHERE r.id = ANY (v_ids));
END
$$;

COMMENT ON FUNCTION admin.invoice_claim(integer, text) IS
    'invoice-send takes up to p_limit due requests (queued and due, or sending with the lease run out), leased to p_token for invoice_policy.lease, attempt counted and recorded; SKIP LOCKED; a JSON array of what to send';

-- The platform issued the invoice for the request's serial: one
-- transaction records it, closes the attempt and moves the order on (blue,
-- pending_invoice -> completed) or, for a red one, marks the original
-- reversed and lets the correction's blue request go.  The platform's word
-- is the truth, so a sender whose lease ran out is believed too; the same
-- answer twice is 'already'; other numbers for a serial are refused.
CREATE OR REPLACE FUNCTION admin.invoice_issued(p_id bigint, p_token text, p_fpdm text,
                                                p_fphm text, p_kprq text, p_total_fen bigint,
                                                p_net_fen bigint, p_tax_fen bigint,
                                                p_pdf_sha256 text, p_pdf_size bigint,
                                                p_request_xml_sha256 text,
                                                p_answer_xml_sha256 text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    r invoice_requests;
    i invoices;
    o orders;
BEGIN
    SELECT * INTO r FROM invoice_requests x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice_issued: no invoice request %', p_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.state = 'issued' THEN
        SELECT * INTO STRICT i FROM invoices x WHERE x.request_id = r.id;
        IF (i.fpdm, i.fphm) = (p_fpdm, p_fphm) THEN
            RETURN 'already';
        END IF;
        RAISE EXCEPTION 'invoice_issued: request % (%) has invoice %/% already, not %/%',
                        r.id, r.serial, i.fpdm, i.fphm, p_fpdm, p_fphm
            USING ERRCODE = 'unique_violation';
    ELSIF r.state = 'cancelled' THEN
        RAISE EXCEPTION 'invoice_issued: request % (%) was cancelled', r.id, r.serial
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF p_kprq IS NULL OR p_kprq !~ '^[0-9]{14}$' THEN
        RAISE EXCEPTION 'invoice_issued: kprq must be yyyyMMddHHmmss, not %', p_kprq
            USING ERRCODE = 'invalid_datetime_format';
    END IF;

    INSERT INTO invoices (request_id, order_id, kind, fpdm, fphm, kprq, total_fen, net_fen,
                          tax_fen, pdf_sha256, pdf_size, request_xml_sha256,
                          answer_xml_sha256, email)
    VALUES (r.id, r.order_id, r.kind, p_fpdm, p_fphm,
            -- the platform's clock is Beijing's
            to_timestamp(p_kprq, 'YYYYMMDDHH24MISS')::timestamp AT TIME ZONE 'Asia/Shanghai',
            p_total_fen, p_net_fen, p_tax_fen, p_pdf_sha256, p_pdf_size,
            p_request_xml_sha256, p_answer_xml_sha256, r.buyer_email);
    UPDATE invoice_requests x
       SET state = 'issued', issued_at = now(), lease_until = NULL, lease_token = NULL,
           definite_refusal = false
     WHERE x.id = r.id;
    UPDATE invoice_attempts a
       SET finished_at = now(), outcome = 'issued',
           message = format('已开具：发票代码 %s 号码 %s', p_fpdm, p_fphm)
     WHERE a.request_id = r.id AND a.outcome IS NULL;

    IF r.kind = 'red' THEN
        UPDATE invoices x SET reversed_by_request_id = r.id
         WHERE x.request_id = r.original_request_id;
        -- the correction's blue request waited for this one
        UPDATE invoice_requests x SET next_try_at = now()
         WHERE x.order_id = r.order_id AND x.kind = 'blue' AND x.state = 'queued'
           AND x.next_try_at = 'infinity';
    ELSE
        SELECT * INTO STRICT o FROM orders x WHERE x.id = r.order_id FOR UPDATE;
        IF o.state = 'pending_invoice' THEN
            PERFORM order_transition(o.id, 'completed', 'system', NULL);
        END IF;
    END IF;
    RETURN 'issued';
END
$$;

COMMENT ON FUNCTION admin.invoice_issued(bigint, text, text, text, text, bigint, bigint, bigint, text, bigint, text, text) IS
    'invoice-send: the platform issued the request''s invoice (fpdm, fphm, kprq yyyyMMddHHmmss Beijing, sums in fen, PDF and XML SHA-256 in storage): recorded, the request issued, the order completed (blue) or the original reversed and the correction''s blue released (red), in one transaction; ''issued'', ''already'' (same numbers), an error for other numbers';

-- A send that did not issue: p_definite, the platform answered with a
-- refusal (returncode not 0000: nothing issued); p_permanent, our own
-- request cannot be sent (it does not build or validate, a wrong total):
-- retrying cannot help.  Only the holder of the lease may say so (a
-- stale run's word is ignored: 'stale').  Backoff: invoice_policy's first
-- wait doubled per failure, capped; after max_attempts, failed (finance).
CREATE OR REPLACE FUNCTION admin.invoice_failed(p_id bigint, p_token text, p_reason text,
                                                p_definite boolean, p_permanent boolean)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    r        invoice_requests;
    pol      invoice_policy;
    v_reason text := left(coalesce(nullif(btrim(p_reason), ''), '（未说明原因）'), 500);
    v_state  text;
BEGIN
    SELECT * INTO r FROM invoice_requests x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice_failed: no invoice request %', p_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.state <> 'sending' OR r.lease_token IS DISTINCT FROM p_token THEN
        RETURN 'stale';
    END IF;
    SELECT * INTO STRICT pol FROM invoice_policy;
    v_state := CASE WHEN coalesce(p_permanent, false) OR r.attempts >= pol.max_attempts
                    THEN 'failed' ELSE 'queued' END;
    UPDATE invoice_requests x
       SET state = v_state, lease_until = NULL, lease_token = NULL,
           last_error = v_reason, last_error_at = now(),
           definite_refusal = coalesce(p_definite, false),
           next_try_at = CASE WHEN v_state = 'queued'
                              THEN now() + least(pol.backoff_first * power(2, least(r.attempts - 1, 30)),
                                                 pol.backoff_max)
                              ELSE x.next_try_at END
     WHERE x.id = r.id;
    UPDATE invoice_attempts a
       SET finished_at = now(),
           outcome = CASE WHEN coalesce(p_definite, false) THEN 'refused' ELSE 'error' END,
           message = v_reason
     WHERE a.request_id = r.id AND a.outcome IS NULL;
    RETURN v_state;
END
$$;

COMMENT ON FUNCTION admin.invoice_failed(bigint, text, text, boolean, boolean) IS
    'invoice-send: a send that issued nothing (p_definite: the platform refused; p_permanent: cannot be sent as it is): queued with backoff, or failed (finance) when permanent or after invoice_policy.max_attempts; ''stale'' and nothing changed unless the caller holds the lease; returns the new state';

-- The sender could not do its own part: its storage is full, so it cannot
-- keep what the platform issued (the PDF, the XML), and sends nothing more
-- until there is room.  Not a failed send: the request goes back to the
-- queue for invoice_policy.backoff_first WITHOUT counting the attempt, so
-- however long the disk stays full it never becomes 'failed' for finance.
-- The platform answers the serial's next send with the invoice it issued,
-- which is recorded then, with its files: an invoice row never lacks them.
-- 'stale' and nothing changed unless the caller holds the lease.
CREATE OR REPLACE FUNCTION admin.invoice_requeue(p_id bigint, p_token text, p_reason text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    r        invoice_requests;
    v_reason text := left(coalesce(nullif(btrim(p_reason), ''), '（未说明原因）'), 500);
BEGIN
    SELECT * INTO r FROM invoice_requests x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice_requeue: no invoice request %', p_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.state <> 'sending' OR r.lease_token IS DISTINCT FROM p_token THEN
        RETURN 'stale';
    END IF;
    UPDATE invoice_requests x
       SET state = 'queued', lease_until = NULL, lease_token = NULL,
           attempts = greatest(r.attempts - 1, 0),
           last_error = v_reason, last_error_at = now(),
           next_try_at = now() + (SELECT p.backoff_first FROM invoice_policy p)
     WHERE x.id = r.id;
    UPDATE invoice_attempts a
       SET finished_at = now(), outcome = 'error', message = v_reason
     WHERE a.request_id = r.id AND a.outcome IS NULL;
    RETURN 'queued';
END
$$;

COMMENT ON FUNCTION admin.invoice_requeue(bigint, text, text) IS
    'invoice-send cannot keep what the platform issues (its storage full): back to the queue after invoice_policy.backoff_first, the attempt not counted (never failed for it); ''stale'' and nothing changed unless the caller holds the lease';
