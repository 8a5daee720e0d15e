-- Paying by Alipay: the attempts (api.order_pay_alipay), the verified
-- notifications and query answers (alipay_payment_apply), alipay-sync's
-- checks of attempts without a result, and finance's refunds.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).
--
-- Locks: whatever records a payment locks the attempt, then the order
-- (FOR UPDATE), so two notifications of one trade at once (or a
-- notification and alipay-sync's query answer) are one after the other,
-- and the second sees what the first wrote.  api.order_pay_alipay locks
-- the order and inserts an attempt, locking no other; a cancel locks the
-- order only: no two of them wait for each other in the other order.

-- The guards -------------------------------------------------------------------

-- An attempt is made for an order awaiting payment, for its amount; what
-- was sent to Alipay never changes; it goes open -> paid | closed, or
-- closed -> paid (Alipay's payment at the last moment, told after our
-- close); deleted only with its order.
CREATE OR REPLACE FUNCTION alipay_attempts_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o orders;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM orders WHERE id = OLD.order_id) THEN
            RETURN OLD;         -- the order itself is being deleted
        END IF;
        RAISE EXCEPTION 'alipay_attempts: an attempt is deleted only with its order'
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'INSERT' THEN
        SELECT * INTO STRICT o FROM orders WHERE id = NEW.order_id FOR SHARE;
        IF o.state <> 'pending_payment' THEN
            RAISE EXCEPTION 'alipay_attempts: order % is %, not pending_payment', o.id, o.state
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.amount_fen IS DISTINCT FROM o.amount_fen THEN
            RAISE EXCEPTION 'alipay_attempts: order %: an attempt is for the order''s amount_fen (%), not %',
                            o.id, o.amount_fen, NEW.amount_fen
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.state <> 'open' THEN
            RAISE EXCEPTION 'alipay_attempts: an attempt starts open'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.out_trade_no, NEW.order_id, NEW.attempt, NEW.channel, NEW.amount_fen, NEW.subject,
        NEW.created_at, NEW.expires_at)
       IS DISTINCT FROM
       (OLD.out_trade_no, OLD.order_id, OLD.attempt, OLD.channel, OLD.amount_fen, OLD.subject,
        OLD.created_at, OLD.expires_at)
    THEN
        RAISE EXCEPTION 'alipay_attempts %: what was sent to Alipay never changes', OLD.out_trade_no
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (OLD.state, NEW.state) NOT IN (('open', 'open'), ('open', 'paid'), ('open', 'closed'),
                                      ('closed', 'closed'), ('closed', 'paid'), ('paid', 'paid'))
       OR (OLD.state = 'paid' AND NEW.trade_no IS DISTINCT FROM OLD.trade_no)
       OR (OLD.state <> 'open' AND NEW.closed_at IS DISTINCT FROM OLD.closed_at)
    THEN
        RAISE EXCEPTION 'alipay_attempts %: % -> % (trade %) refused', OLD.out_trade_no,
                        OLD.state, NEW.state, NEW.trade_no
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION alipay_attempts_guard() IS
    'alipay_attempts: made while the order is pending_payment, for its amount; what was sent never changes; open -> paid | closed, closed -> paid; deleted only with the order';

CREATE OR REPLACE TRIGGER alipay_attempts_guard BEFORE INSERT OR UPDATE OR DELETE ON alipay_attempts
    FOR EACH ROW EXECUTE FUNCTION alipay_attempts_guard();

-- A payment is what Alipay said, kept as it said it: for its attempt's
-- order and amount, never changed but for the refund's progress
-- (to_refund | refund_failed -> refunding -> refunded | refund_failed);
-- deleted only with the order.
CREATE OR REPLACE FUNCTION alipay_payments_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    a alipay_attempts;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM orders WHERE id = OLD.order_id) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'alipay_payments: a payment is deleted only with its order'
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'INSERT' THEN
        SELECT * INTO a FROM alipay_attempts WHERE out_trade_no = NEW.out_trade_no;
        IF NOT FOUND OR a.order_id <> NEW.order_id OR a.amount_fen <> NEW.amount_fen THEN
            RAISE EXCEPTION 'alipay_payments: trade % is not for the order and amount of attempt %',
                            NEW.trade_no, NEW.out_trade_no
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.refund_state NOT IN ('to_refund') THEN
            RAISE EXCEPTION 'alipay_payments: a payment is recorded applied or to_refund'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.id, NEW.trade_no, NEW.out_trade_no, NEW.order_id, NEW.amount_fen, NEW.buyer_id,
        NEW.buyer_logon_id, NEW.paid_at, NEW.recorded_at, NEW.source, NEW.raw, NEW.applied,
        NEW.refund_reason)
       IS DISTINCT FROM
       (OLD.id, OLD.trade_no, OLD.out_trade_no, OLD.order_id, OLD.amount_fen, OLD.buyer_id,
        OLD.buyer_logon_id, OLD.paid_at, OLD.recorded_at, OLD.source, OLD.raw, OLD.applied,
        OLD.refund_reason)
    THEN
        RAISE EXCEPTION 'alipay_payments %: only the refund state changes', OLD.trade_no
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.refund_state IS DISTINCT FROM OLD.refund_state
       AND (OLD.refund_state, NEW.refund_state) NOT IN (('to_refund', 'refunding'),
                                                        ('refund_failed', 'refunding'),
                                                        ('refunding', 'refunded'),
                                                        ('refunding', 'refund_failed'))
    THEN
        RAISE EXCEPTION 'alipay_payments %: refund state % -> % refused', OLD.trade_no,
                        OLD.refund_state, NEW.refund_state
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION alipay_payments_guard() IS
    'alipay_payments: for its attempt''s order and amount; only the refund state changes (to_refund | refund_failed -> refunding -> refunded | refund_failed); deleted only with the order';

CREATE OR REPLACE TRIGGER alipay_payments_guard BEFORE INSERT OR UPDATE OR DELETE ON alipay_payments
    FOR EACH ROW EXECUTE FUNCTION alipay_payments_guard();

-- A refund gives back its payment, all of it; deleted only with the order.
CREATE OR REPLACE FUNCTION alipay_refunds_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pay alipay_payments;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM alipay_payments p JOIN orders o ON o.id = p.order_id
                       WHERE p.id = OLD.payment_id) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'alipay_refunds: a refund is deleted only with its order'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO pay FROM alipay_payments p WHERE p.id = NEW.payment_id;
    IF NEW.out_request_no IS DISTINCT FROM 'R' || pay.id || '_1'
       OR NEW.amount_fen IS DISTINCT FROM pay.amount_fen
       OR (TG_OP = 'UPDATE' AND NEW.payment_id <> OLD.payment_id)
    THEN
        RAISE EXCEPTION 'alipay_refunds: % refunds all of payment %, as R<payment id>_1',
                        NEW.out_request_no, NEW.payment_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION alipay_refunds_guard() IS
    'alipay_refunds: all of its payment, out_request_no R<payment id>_1; deleted only with the order';

CREATE OR REPLACE TRIGGER alipay_refunds_guard BEFORE INSERT OR UPDATE OR DELETE ON alipay_refunds
    FOR EACH ROW EXECUTE FUNCTION alipay_refunds_guard();

-- Small helpers ---------------------------------------------------------------

-- Alipay's times ("yyyy-MM-dd HH:mm:ss", Beijing); NULL for none or for
-- anything else (the raw notification keeps what was sent)
CREATE OR REPLACE FUNCTION alipay_time(p_text text)
RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' THEN
        RETURN NULL;
    END IF;
    RETURN p_text::timestamp AT TIME ZONE 'Asia/Shanghai';
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    RETURN NULL;                -- 2026-02-30 ...
END
$$;

COMMENT ON FUNCTION alipay_time(text) IS 'Alipay''s "yyyy-MM-dd HH:mm:ss" (Beijing time) as a timestamptz; NULL if not one';

-- 40000 -> '400.00': money as the applicant reads it
CREATE OR REPLACE FUNCTION yuan(p_fen bigint)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN to_char(p_fen / 100.0, 'FM999999999990.00');

-- The API: paying by Alipay ----------------------------------------------------

-- POST /api/orders/{id}/pay with method=alipay: a fresh attempt (one more
-- out_trade_no) for the order's amount; the module signs the request with
-- it.  Chosen from pending_voucher (the applicant changes their mind), the
-- order first goes back to pending_payment.  At most 10 attempts of an
-- order open and unexpired at once (CH429): each is a trade Alipay keeps.
-- p_timeout_minutes: the timeout_express the module sends (1 minute to 15
-- days, as Alipay allows).
CREATE OR REPLACE FUNCTION api.order_pay_alipay(p_token text, p_csrf text, p_order_id text,
                                     p_channel text, p_timeout_minutes integer)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
    a alipay_attempts;
    v_open integer;
BEGIN
    IF p_channel IS NULL OR p_channel NOT IN ('page', 'wap') THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请选择正确的支付渠道', 'channel');
    END IF;
    IF p_timeout_minutes IS NULL OR p_timeout_minutes NOT BETWEEN 1 AND 21600 THEN
        RAISE EXCEPTION 'order_pay_alipay: timeout % minutes is outside 1 minute .. 15 days',
                        p_timeout_minutes;
    END IF;

    IF o.state = 'pending_voucher' THEN
        o := order_transition(o.id, 'pending_payment', 'applicant', s.account_id);
    ELSIF o.state <> 'pending_payment' THEN
        PERFORM raise_api_error('CH409', 'order_not_payable',
                                format('订单当前状态为“%s”，不能支付', order_state_label(o.state)));
    END IF;
    IF coalesce(o.amount_fen, 0) <= 0 THEN
        PERFORM raise_api_error('CH409', 'order_not_payable', '该订单无需支付');
    END IF;

    SELECT count(*) INTO v_open FROM alipay_attempts x
    WHERE x.order_id = o.id AND x.state = 'open' AND x.expires_at > now();
    IF v_open >= 10 THEN
        PERFORM raise_api_error('CH429', 'too_many_attempts',
                                '支付宝支付发起次数过多，请稍后再试');
    END IF;

    INSERT INTO alipay_attempts (out_trade_no, order_id, attempt, channel, amount_fen, subject,
                                 expires_at)
    SELECT o.id || '_' || n, o.id, n, p_channel, o.amount_fen,
           left(p.name || ' ' || sv.name, 256),
           now() + make_interval(mins => p_timeout_minutes)
    FROM (SELECT coalesce(max(x.attempt), 0) + 1 AS n FROM alipay_attempts x WHERE x.order_id = o.id) k,
         projects p, services sv
    WHERE p.code = o.project_code AND sv.code = o.service
    RETURNING * INTO STRICT a;

    -- a statement of its own: the order's JSON sees the attempt and the
    -- transition above
    RETURN json_build_object('out_trade_no', a.out_trade_no, 'amount_fen', a.amount_fen,
                             'subject', a.subject, 'channel', a.channel,
                             'expires_at', a.expires_at, 'order', order_json(o));
END
$$;

COMMENT ON FUNCTION api.order_pay_alipay(text, text, text, text, integer) IS
    'POST /api/orders/{id}/pay (alipay): a fresh attempt for the order''s amount (pending_voucher goes back to pending_payment); CH400 channel, CH404, CH409 order_not_payable / illegal_transition, CH429 too_many_attempts';

-- Recording what Alipay says ---------------------------------------------------

-- A verified notification (p_source notify) or alipay.trade.query answer
-- (query) about one attempt.  The caller has checked the signature, app_id
-- and seller_id and parsed total_amount into fen.  One row:
--   refusals, nothing changes (the notification is not answered success):
--     unknown_trade    no such out_trade_no
--     amount_mismatch  not the attempt's amount
--     trade_mismatch   the attempt is paid by another trade
--   accepted:
--     paid       a new trade, the order pending_payment or pending_voucher:
--                it goes to pending_review (payment, alipay_paid)
--     already    this trade was recorded before: nothing changes
--     to_refund  a new trade for an order that can no longer be paid
--                (cancelled, paid otherwise): recorded to be refunded,
--                the applicant told, the audit trail says so
--     not_paid   WAIT_BUYER_PAY: nothing changes
--     closed     TRADE_CLOSED: the attempt, if open, is closed
CREATE OR REPLACE FUNCTION alipay_payment_apply(p_out_trade_no text, p_trade_no text, p_trade_status text,
                                     p_amount_fen bigint, p_buyer_id text, p_buyer_logon_id text,
                                     p_paid_at text, p_raw json, p_source text)
RETURNS TABLE (outcome text, order_id text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    a        alipay_attempts;
    o        orders;
    pay      alipay_payments;
    v_reason text;
BEGIN
    IF p_trade_status IS NULL
       OR p_trade_status NOT IN ('TRADE_SUCCESS', 'TRADE_FINISHED', 'WAIT_BUYER_PAY', 'TRADE_CLOSED')
    THEN
        RAISE EXCEPTION 'alipay_payment_apply: trade_status % is none of Alipay''s', p_trade_status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_source IS NULL OR p_source NOT IN ('notify', 'query') THEN
        RAISE EXCEPTION 'alipay_payment_apply: source % is neither notify nor query', p_source
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT * INTO a FROM alipay_attempts x WHERE x.out_trade_no = p_out_trade_no FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_trade'::text, NULL::text;
        RETURN;
    END IF;
    order_id := a.order_id;
    IF p_amount_fen IS DISTINCT FROM a.amount_fen THEN
        outcome := 'amount_mismatch';
        RETURN NEXT;
        RETURN;
    END IF;
    IF a.state = 'paid' AND p_trade_no IS DISTINCT FROM a.trade_no THEN
        outcome := 'trade_mismatch';
        RETURN NEXT;
        RETURN;
    END IF;

    IF p_trade_status = 'WAIT_BUYER_PAY' THEN
        outcome := 'not_paid';
        RETURN NEXT;
        RETURN;
    ELSIF p_trade_status = 'TRADE_CLOSED' THEN
        UPDATE alipay_attempts x SET state = 'closed', closed_at = now(), lease_until = NULL
        WHERE x.out_trade_no = a.out_trade_no AND x.state = 'open';
        outcome := 'closed';
        RETURN NEXT;
        RETURN;
    END IF;

    -- paid: TRADE_SUCCESS, or TRADE_FINISHED (which may come first)
    IF p_trade_no IS NULL OR p_trade_no !~ '^[A-Za-z0-9_]{1,64}$' THEN
        RAISE EXCEPTION 'alipay_payment_apply: % is no trade number', p_trade_no
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO pay FROM alipay_payments p WHERE p.trade_no = p_trade_no;
    IF FOUND THEN
        outcome := CASE WHEN pay.out_trade_no = a.out_trade_no THEN 'already' ELSE 'trade_mismatch' END;
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT * INTO STRICT o FROM orders x WHERE x.id = a.order_id FOR UPDATE;
    IF o.state IN ('pending_payment', 'pending_voucher')
       AND NOT EXISTS (SELECT FROM alipay_payments p WHERE p.order_id = o.id AND p.applied)
    THEN
        o := order_transition(o.id, 'pending_review', 'payment', NULL);
        outcome := 'paid';
    ELSE
        v_reason := CASE WHEN o.state = 'cancelled' THEN '订单已取消'
                         ELSE '订单已通过其他方式付款' END;
        outcome := 'to_refund';
    END IF;

    INSERT INTO alipay_payments (trade_no, out_trade_no, order_id, amount_fen, buyer_id,
                                 buyer_logon_id, paid_at, source, raw, applied,
                                 refund_state, refund_reason)
    VALUES (p_trade_no, a.out_trade_no, a.order_id, p_amount_fen, left(p_buyer_id, 64),
            left(p_buyer_logon_id, 100), alipay_time(p_paid_at), p_source,
            coalesce(p_raw::jsonb, '{}'::jsonb), outcome = 'paid',
            CASE WHEN outcome = 'to_refund' THEN 'to_refund' END, v_reason)
    RETURNING * INTO pay;
    UPDATE alipay_attempts x SET state = 'paid', trade_no = p_trade_no, lease_until = NULL
    WHERE x.out_trade_no = a.out_trade_no;

    IF outcome = 'to_refund' THEN
        -- the applicant learns the money comes back; finance finds the
        -- payment in its list and in the audit trail
        INSERT INTO messages (account_id, order_id, title, body)
        VALUES (o.account_id, o.id, '支付宝付款将退回',
                format('您的订单%s收到一笔支付宝付款（%s元，交易号%s），因%s，这笔付款将原路退回，请留意支付宝账户。',
                       o.id, yuan(pay.amount_fen), pay.trade_no, v_reason));
        PERFORM staff_audit_add(NULL, NULL, 'alipay_to_refund', o.id, pay.trade_no, NULL,
                                jsonb_build_object('payment_id', pay.id, 'refund_state', 'to_refund',
                                                   'amount_fen', pay.amount_fen,
                                                   'out_trade_no', pay.out_trade_no,
                                                   'state', o.state),
                                v_reason, NULL);
    END IF;
    RETURN NEXT;
END
$$;

COMMENT ON FUNCTION alipay_payment_apply(text, text, text, bigint, text, text, text, json, text) IS
    'records what Alipay says of an attempt (notify or query), in one transaction: unknown_trade, amount_mismatch, trade_mismatch (refused, nothing changes); paid, already, to_refund, not_paid, closed';

-- POST /api/alipay/notify, after the module verified it
CREATE OR REPLACE FUNCTION api.alipay_notify(p_out_trade_no text, p_trade_no text, p_trade_status text,
                                  p_amount_fen bigint, p_buyer_id text, p_buyer_logon_id text,
                                  p_paid_at text, p_raw json)
RETURNS TABLE (outcome text, order_id text)
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    SELECT * FROM alipay_payment_apply(p_out_trade_no, p_trade_no, p_trade_status, p_amount_fen,
                                       p_buyer_id, p_buyer_logon_id, p_paid_at, p_raw, 'notify')
$$;

COMMENT ON FUNCTION api.alipay_notify(text, text, text, bigint, text, text, text, json) IS
    'POST /api/alipay/notify (verified by the module): alipay_payment_apply(..., ''notify'')';

-- alipay-sync: a paid alipay.trade.query answer, applied as a notification
CREATE OR REPLACE FUNCTION admin.alipay_payment_apply(p_out_trade_no text, p_trade_no text,
                                           p_trade_status text, p_amount_fen bigint,
                                           p_buyer_id text, p_buyer_logon_id text,
                                           p_paid_at text, p_raw json)
RETURNS TABLE (outcome text, order_id text)
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    SELECT * FROM alipay_payment_apply(p_out_trade_no, p_trade_no, p_trade_status, p_amount_fen,
                                       p_buyer_id, p_buyer_logon_id, p_paid_at, p_raw, 'query')
$$;

COMMENT ON FUNCTION admin.alipay_payment_apply(text, text, text, bigint, text, text, text, json) IS
    'alipay-sync: a verified alipay.trade.query answer, alipay_payment_apply(..., ''query'')';

-- alipay-sync: attempts without a result -----------------------------------------

-- Open attempts due for a check, older than p_older_than (the
-- notification had its chance), expired, or of an order that can no
-- longer be paid; each held for p_lease.  FOR UPDATE SKIP LOCKED and the
-- lease let several runs (several machines' cron) go at once without
-- asking about one attempt twice.
CREATE OR REPLACE FUNCTION admin.alipay_attempts_claim(p_limit integer, p_lease interval,
                                            p_older_than interval)
RETURNS SETOF alipay_attempts
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    UPDATE alipay_attempts a
    SET lease_until = now() + p_lease
    WHERE a.out_trade_no IN (
        SELECT x.out_trade_no FROM alipay_attempts x
        WHERE x.state = 'open' AND x.next_check_at <= now()
          AND (x.lease_until IS NULL OR x.lease_until <= now())
          AND (x.created_at < now() - p_older_than OR x.expires_at < now()
               OR NOT EXISTS (SELECT FROM orders o WHERE o.id = x.order_id
                                AND o.state IN ('pending_payment', 'pending_voucher')))
        ORDER BY x.next_check_at, x.out_trade_no
        LIMIT greatest(coalesce(p_limit, 0), 0)
        FOR UPDATE OF x SKIP LOCKED)
    RETURNING a.*
$$;

COMMENT ON FUNCTION admin.alipay_attempts_claim(integer, interval, interval) IS
    'alipay-sync takes open attempts due for alipay.trade.query (older than p_older_than, expired, or of an order no longer payable), leased for p_lease; SKIP LOCKED';

-- alipay-sync did not ask about a claimed attempt (Alipay did not answer
-- the call before it): the lease is handed back, the attempt due as it was.
CREATE OR REPLACE FUNCTION admin.alipay_attempt_release(p_out_trade_no text)
RETURNS boolean
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    WITH released AS (
        UPDATE alipay_attempts SET lease_until = NULL
        WHERE out_trade_no = p_out_trade_no AND state = 'open' AND lease_until > now()
        RETURNING 1)
    SELECT EXISTS (SELECT FROM released)
$$;

COMMENT ON FUNCTION admin.alipay_attempt_release(text) IS
    'alipay-sync hands back a claimed attempt it did not ask about';

-- Whether alipay-sync should close the attempt rather than wait: expired,
-- or its order can no longer be paid (cancelled, paid otherwise).
CREATE OR REPLACE FUNCTION admin.alipay_attempt_closable(p_out_trade_no text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT a.expires_at <= now()
           OR o.state NOT IN ('pending_payment', 'pending_voucher')
           OR EXISTS (SELECT FROM alipay_payments p WHERE p.order_id = o.id AND p.applied)
    FROM alipay_attempts a JOIN orders o ON o.id = a.order_id
    WHERE a.out_trade_no = p_out_trade_no
$$;

COMMENT ON FUNCTION admin.alipay_attempt_closable(text) IS
    'an attempt alipay-sync should close (alipay.trade.close): expired, or its order no longer payable; NULL if none';

-- What alipay-sync learnt of a claimed attempt: wait (WAIT_BUYER_PAY, ask
-- again later), closed (closed at Alipay, or never made there), error
-- (ask again later).  The lease ends.  Later checks come after 2, 5, 10,
-- 30 minutes, then hourly.
CREATE OR REPLACE FUNCTION admin.alipay_attempt_checked(p_out_trade_no text, p_result text, p_error text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    a alipay_attempts;
BEGIN
    IF p_result IS NULL OR p_result NOT IN ('wait', 'closed', 'error') THEN
        RAISE EXCEPTION 'alipay_attempt_checked: % is none of wait, closed, error', p_result
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE alipay_attempts x
    SET state = CASE WHEN p_result = 'closed' AND x.state = 'open' THEN 'closed' ELSE x.state END,
        closed_at = CASE WHEN p_result = 'closed' AND x.state = 'open' THEN now() ELSE x.closed_at END,
        checks = x.checks + 1,
        next_check_at = now() + CASE least(x.checks, 4)
                                    WHEN 0 THEN interval '2 minutes'
                                    WHEN 1 THEN interval '5 minutes'
                                    WHEN 2 THEN interval '10 minutes'
                                    WHEN 3 THEN interval '30 minutes'
                                    ELSE interval '1 hour' END,
        last_error = CASE WHEN p_result = 'error' THEN left(coalesce(p_error, '(no reason)'), 500)
                          ELSE NULL END,
        lease_until = NULL
    WHERE x.out_trade_no = p_out_trade_no
    RETURNING * INTO a;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alipay_attempt_checked: no attempt %', p_out_trade_no
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN a.state;
END
$$;

COMMENT ON FUNCTION admin.alipay_attempt_checked(text, text, text) IS
    'alipay-sync''s result of a check: wait | closed | error; backs off 2, 5, 10, 30 min, then hourly; ends the lease; returns the attempt''s state';

-- Refunds ------------------------------------------------------------------------

-- 退款 (finance): a payment to refund (or whose refund failed) is queued
-- for alipay-sync, with the reason Alipay and the trail keep.  The
-- out_request_no is the payment's, so asking again is the same refund.
CREATE OR REPLACE FUNCTION admin.alipay_refund_request(p_token text, p_csrf text, p_client inet,
                                            p_payment_id bigint, p_reason text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'finance');
    v_reason text := staff_text(p_reason);
    pay      alipay_payments;
    r        alipay_refunds;
BEGIN
    IF v_reason IS NULL THEN
        PERFORM raise_api_error('CH422', 'reason_required', '请填写退款原因', 'reason');
    ELSIF char_length(v_reason) > 256 THEN
        PERFORM raise_api_error('CH422', 'reason_too_long', '退款原因不能超过256个字', 'reason');
    END IF;
    SELECT * INTO pay FROM alipay_payments p WHERE p.id = p_payment_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'payment_not_found', '支付记录不存在');
    END IF;
    IF pay.refund_state IS NULL THEN
        PERFORM raise_api_error('CH409', 'not_refundable', '该笔付款已用于支付订单，不在待退款之列');
    ELSIF pay.refund_state = 'refunding' THEN
        PERFORM raise_api_error('CH409', 'refund_in_progress', '该笔付款正在退款');
    ELSIF pay.refund_state = 'refunded' THEN
        PERFORM raise_api_error('CH409', 'already_refunded', '该笔付款已退款');
    END IF;

    INSERT INTO alipay_refunds (out_request_no, payment_id, amount_fen, reason, requested_by)
    VALUES ('R' || pay.id || '_1', pay.id, pay.amount_fen, v_reason, s.staff_id)
    ON CONFLICT (payment_id) DO UPDATE
       SET state = 'queued', reason = EXCLUDED.reason, requested_by = EXCLUDED.requested_by,
           requested_at = now(), attempts = 0, next_try_at = now(), lease_until = NULL,
           fund_change = NULL, result = NULL, last_error = NULL, done_at = NULL
    RETURNING * INTO r;
    UPDATE alipay_payments p SET refund_state = 'refunding' WHERE p.id = pay.id;
    PERFORM staff_audit_add(s.staff_id, s.login, 'alipay_refund', pay.order_id, pay.trade_no,
                            jsonb_build_object('refund_state', pay.refund_state),
                            jsonb_build_object('refund_state', 'refunding',
                                               'out_request_no', r.out_request_no,
                                               'amount_fen', r.amount_fen),
                            v_reason, p_client);
    RETURN r.out_request_no;
END
$$;

COMMENT ON FUNCTION admin.alipay_refund_request(text, text, inet, bigint, text) IS
    '退款 (finance): a payment to_refund or refund_failed is queued for alipay-sync (refunding), audited; CH404 payment_not_found, CH409 not_refundable / refund_in_progress / already_refunded, CH422 reason';

-- alipay-sync takes the refunds due (queued, or sending under a lease that
-- ran out: that run died, and the same out_request_no is safe to send
-- again), each held for p_lease.
CREATE OR REPLACE FUNCTION admin.alipay_refunds_claim(p_limit integer, p_lease interval)
RETURNS TABLE (out_request_no text, payment_id bigint, out_trade_no text, trade_no text,
               amount_fen bigint, reason text, attempts integer)
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    WITH claimed AS (
        UPDATE alipay_refunds r
        SET state = 'sending', lease_until = now() + p_lease, attempts = r.attempts + 1
        WHERE r.out_request_no IN (
            SELECT x.out_request_no FROM alipay_refunds x
            WHERE x.next_try_at <= now()
              AND (x.state = 'queued' OR (x.state = 'sending' AND x.lease_until <= now()))
            ORDER BY x.next_try_at, x.out_request_no
            LIMIT greatest(coalesce(p_limit, 0), 0)
            FOR UPDATE OF x SKIP LOCKED)
        RETURNING r.*)
    SELECT c.out_request_no, c.payment_id, p.out_trade_no, p.trade_no, c.amount_fen::bigint,
           c.reason, c.attempts
    FROM claimed c JOIN alipay_payments p ON p.id = c.payment_id
    ORDER BY c.next_try_at, c.out_request_no
$$;

COMMENT ON FUNCTION admin.alipay_refunds_claim(integer, interval) IS
    'alipay-sync takes the refunds due (with the trade numbers and amount to send), leased for p_lease; SKIP LOCKED';

-- alipay-sync did not send a claimed refund (Alipay did not answer the
-- call before it): queued again as it was, the send not counted.
CREATE OR REPLACE FUNCTION admin.alipay_refund_release(p_out_request_no text)
RETURNS boolean
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    WITH released AS (
        UPDATE alipay_refunds
        SET state = 'queued', lease_until = NULL, attempts = greatest(attempts - 1, 0)
        WHERE out_request_no = p_out_request_no AND state = 'sending' AND lease_until > now()
        RETURNING 1)
    SELECT EXISTS (SELECT FROM released)
$$;

COMMENT ON FUNCTION admin.alipay_refund_release(text) IS
    'alipay-sync hands back a claimed refund it did not send (the send not counted)';

-- What alipay.trade.refund answered: ok (done; the payment refunded, the
-- applicant told), a refusal (failed; finance may ask again), or an error
-- worth retrying (1, 5, 15 minutes, then hourly; after 10 sends, failed).
-- Returns the refund's state.
CREATE OR REPLACE FUNCTION admin.alipay_refund_result(p_out_request_no text, p_ok boolean,
                                           p_fund_change boolean, p_result json, p_error text,
                                           p_retryable boolean)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    r   alipay_refunds;
    pay alipay_payments;
    v_state text;
BEGIN
    SELECT * INTO r FROM alipay_refunds x WHERE x.out_request_no = p_out_request_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alipay_refund_result: no refund %', p_out_request_no
            USING ERRCODE = 'no_data_found';
    END IF;
    IF r.state NOT IN ('queued', 'sending') THEN
        RETURN r.state;         -- told already (a run whose lease ran out)
    END IF;
    SELECT * INTO STRICT pay FROM alipay_payments p WHERE p.id = r.payment_id FOR UPDATE;

    v_state := CASE WHEN coalesce(p_ok, false) THEN 'done'
                    WHEN coalesce(p_retryable, false) AND r.attempts < 10 THEN 'queued'
                    ELSE 'failed' END;
    UPDATE alipay_refunds x
    SET state = v_state,
        fund_change = CASE WHEN v_state = 'done' THEN p_fund_change ELSE x.fund_change END,
        result = coalesce(p_result::jsonb, x.result),
        last_error = CASE WHEN v_state = 'done' THEN NULL
                          ELSE left(coalesce(p_error, '(no reason)'), 500) END,
        done_at = CASE WHEN v_state = 'done' THEN now() END,
        lease_until = NULL,
        next_try_at = CASE WHEN v_state = 'queued'
                           THEN now() + CASE least(x.attempts, 4)
                                            WHEN 1 THEN interval '1 minute'
                                            WHEN 2 THEN interval '5 minutes'
                                            WHEN 3 THEN interval '15 minutes'
                                            ELSE interval '1 hour' END
                           ELSE x.next_try_at END
    WHERE x.out_request_no = r.out_request_no;

    IF v_state = 'done' THEN
        UPDATE alipay_payments p SET refund_state = 'refunded' WHERE p.id = pay.id;
        INSERT INTO messages (account_id, order_id, title, body)
        SELECT o.account_id, o.id, '支付宝付款已退回',
               format('您的订单%s的支付宝付款（%s元，交易号%s）已原路退回，请留意支付宝账户。',
                      o.id, yuan(pay.amount_fen), pay.trade_no)
        FROM orders o WHERE o.id = pay.order_id;
        PERFORM staff_audit_add(NULL, NULL, 'alipay_refund_done', pay.order_id, pay.trade_no,
                                jsonb_build_object('refund_state', 'refunding'),
                                jsonb_build_object('refund_state', 'refunded',
                                                   'out_request_no', r.out_request_no,
                                                   'amount_fen', r.amount_fen,
                                                   'fund_change', p_fund_change),
                                NULL, NULL);
    ELSIF v_state = 'failed' THEN
        UPDATE alipay_payments p SET refund_state = 'refund_failed' WHERE p.id = pay.id;
        PERFORM staff_audit_add(NULL, NULL, 'alipay_refund_failed', pay.order_id, pay.trade_no,
                                jsonb_build_object('refund_state', 'refunding'),
                                jsonb_build_object('refund_state', 'refund_failed',
                                                   'out_request_no', r.out_request_no),
                                left(coalesce(p_error, '(no reason)'), 500), NULL);
    END IF;
    RETURN v_state;
END
$$;

COMMENT ON FUNCTION admin.alipay_refund_result(text, boolean, boolean, json, text, boolean) IS
    'alipay-sync''s result of alipay.trade.refund: ok -> done (payment refunded, applicant told), retryable -> queued with back-off (failed after 10 sends), else failed (refund_failed); audited; returns the state';

-- The order's JSON ----------------------------------------------------------------

-- "payment": the Alipay payment that paid the order (null when none)
CREATE OR REPLACE FUNCTION order_payment_json(p_order_id text)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT json_build_object('method', 'alipay', 'trade_no', p.trade_no,
                                 'amount_fen', p.amount_fen, 'paid_at', p.paid_at,
                                 'buyer_logon_id', p.buyer_logon_id)
        FROM alipay_payments p WHERE p.order_id = p_order_id AND p.applied);
END
$$;

-- "alipay_attempts": newest first
CREATE OR REPLACE FUNCTION order_alipay_attempts_json(p_order_id text)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(json_build_object(
                   'out_trade_no', a.out_trade_no, 'attempt', a.attempt, 'channel', a.channel,
                   'amount_fen', a.amount_fen, 'state', a.state, 'created_at', a.created_at,
                   'expires_at', a.expires_at) ORDER BY a.attempt DESC), '[]'::json)
        FROM alipay_attempts a WHERE a.order_id = p_order_id);
END
$$;
