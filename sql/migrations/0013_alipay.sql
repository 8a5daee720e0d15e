-- Schema v1, part 9: paying by Alipay (issue 16).
--
--   alipay_attempts   every click on 支付宝支付: one Alipay trade we asked for
--                     (out_trade_no = order id _ attempt number)
--   alipay_payments   every trade Alipay told us was paid (a verified
--                     notification or a trade.query answer), with what it
--                     sent; the one that paid the order is "applied", the
--                     others are to be refunded
--   alipay_refunds    the refunds finance asked for, the outbox
--                     `certhall-admin alipay-sync` drains
--
-- And one edge of the state machine: a payment of an Alipay page opened
-- before the applicant chose the transfer still counts.
--
-- The functions and triggers are in sql/functions/47_alipay.sql.

SET LOCAL timezone = 'Asia/Shanghai';

-- The edge ---------------------------------------------------------------------

INSERT INTO order_transitions (from_state, to_state, actor_kind, action, action_name,
                               reason_required, submits, message_title, message_body) VALUES
    -- the applicant chose the transfer after opening an Alipay page, then
    -- paid that page: the money arrived, no voucher is needed any more
    ('pending_voucher', 'pending_review', 'payment', 'alipay_paid', '支付宝支付成功',
     false, false, '支付成功',
     '您的订单{order_id}已支付成功，资料已进入人工审核，审核结果将通过消息通知您。');

-- Attempts ---------------------------------------------------------------------

CREATE TABLE alipay_attempts (
    -- Alipay allows letters, digits and underscores, up to 64
    out_trade_no    text PRIMARY KEY CHECK (out_trade_no ~ '^[A-Za-z0-9_]{1,64}$'),
    order_id        text NOT NULL REFERENCES orders ON DELETE CASCADE,
    attempt         integer NOT NULL CHECK (attempt > 0),
    channel         text NOT NULL CHECK (channel IN ('page', 'wap')),
    amount_fen      money_fen NOT NULL CHECK (amount_fen > 0),
    subject         text NOT NULL CHECK (btrim(subject) <> '' AND char_length(subject) <= 256),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paid', 'closed')),
    trade_no        text CHECK (trade_no ~ '^[A-Za-z0-9_]{1,64}$'),
    closed_at       timestamptz,
    next_check_at   timestamptz NOT NULL DEFAULT now(),
    checks          integer NOT NULL DEFAULT 0 CHECK (checks >= 0),
    lease_until     timestamptz,
    last_error      text CHECK (char_length(last_error) <= 500),
    UNIQUE (order_id, attempt),
    CHECK (out_trade_no = order_id || '_' || attempt),
    CHECK (expires_at > created_at),
    -- a trade is paid by exactly one Alipay trade number
    CHECK ((state = 'paid') = (trade_no IS NOT NULL)),
    -- a closed trade says when; a paid one may have been closed before
    -- (a payment at the last moment, its notification after our close)
    CHECK (state <> 'closed' OR closed_at IS NOT NULL)
);
COMMENT ON TABLE alipay_attempts IS 'every Alipay trade the hall asked for (支付宝支付, one per click): open until paid or closed; deleted only with the order';
COMMENT ON COLUMN alipay_attempts.out_trade_no IS 'the merchant''s trade number sent to Alipay: order id, "_", attempt';
COMMENT ON COLUMN alipay_attempts.attempt IS '1, 2, ... per order';
COMMENT ON COLUMN alipay_attempts.channel IS 'page: alipay.trade.page.pay (a computer); wap: alipay.trade.wap.pay (a phone)';
COMMENT ON COLUMN alipay_attempts.amount_fen IS 'total_amount sent, in fen: the order''s amount_fen at the time';
COMMENT ON COLUMN alipay_attempts.subject IS 'subject sent: project and service';
COMMENT ON COLUMN alipay_attempts.expires_at IS 'created_at + the timeout_express sent';
COMMENT ON COLUMN alipay_attempts.trade_no IS 'paid: Alipay''s trade number';
COMMENT ON COLUMN alipay_attempts.next_check_at IS 'alipay-sync asks alipay.trade.query about an open attempt from then on';
COMMENT ON COLUMN alipay_attempts.checks IS 'how many times alipay-sync asked (the back-off grows with it)';
COMMENT ON COLUMN alipay_attempts.lease_until IS 'an alipay-sync run holds the attempt until then';
COMMENT ON COLUMN alipay_attempts.last_error IS 'why the last check failed';

-- alipay-sync's claim: open attempts due for a check
CREATE INDEX alipay_attempts_open_idx ON alipay_attempts (next_check_at) WHERE state = 'open';

-- Payments ---------------------------------------------------------------------

CREATE TABLE alipay_payments (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trade_no        text NOT NULL UNIQUE CHECK (trade_no ~ '^[A-Za-z0-9_]{1,64}$'),
    -- Alipay has one trade per out_trade_no
    out_trade_no    text NOT NULL UNIQUE REFERENCES alipay_attempts ON DELETE CASCADE,
    order_id        text NOT NULL REFERENCES orders ON DELETE CASCADE,
    amount_fen      money_fen NOT NULL CHECK (amount_fen > 0),
    buyer_id        text CHECK (char_length(buyer_id) <= 64),
    buyer_logon_id  text CHECK (char_length(buyer_logon_id) <= 100),
    paid_at         timestamptz,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    source          text NOT NULL CHECK (source IN ('notify', 'query')),
    raw             jsonb NOT NULL,
    applied         boolean NOT NULL,
    refund_state    text CHECK (refund_state IN ('to_refund', 'refunding', 'refunded', 'refund_failed')),
    refund_reason   text CHECK (btrim(refund_reason) <> '' AND char_length(refund_reason) <= 256),
    -- a payment either paid its order or is to be given back
    CHECK (applied = (refund_state IS NULL)),
    CHECK ((refund_state IS NULL) = (refund_reason IS NULL))
);
COMMENT ON TABLE alipay_payments IS 'every paid Alipay trade the hall learnt of (verified), with what Alipay sent; never changed but for its refund state, deleted only with the order';
COMMENT ON COLUMN alipay_payments.amount_fen IS 'total_amount, in fen (equal to the attempt''s)';
COMMENT ON COLUMN alipay_payments.buyer_logon_id IS 'the buyer''s Alipay account as Alipay sends it (masked, e.g. a***@x.com)';
COMMENT ON COLUMN alipay_payments.paid_at IS 'gmt_payment, Beijing time; NULL when Alipay sent none';
COMMENT ON COLUMN alipay_payments.source IS 'notify: the notification (POST /api/alipay/notify); query: alipay-sync''s alipay.trade.query';
COMMENT ON COLUMN alipay_payments.raw IS 'the whole verified notification or query answer';
COMMENT ON COLUMN alipay_payments.applied IS 'true: this payment moved the order to pending_review (at most one per order)';
COMMENT ON COLUMN alipay_payments.refund_state IS 'not applied: to_refund (finance to act), refunding, refunded, refund_failed';
COMMENT ON COLUMN alipay_payments.refund_reason IS 'why the payment is to be refunded (订单已取消 ...), as the applicant and finance are told';

-- an order is paid once
CREATE UNIQUE INDEX alipay_payments_applied_idx ON alipay_payments (order_id) WHERE applied;
CREATE INDEX alipay_payments_order_idx ON alipay_payments (order_id);
-- finance's list
CREATE INDEX alipay_payments_refund_idx ON alipay_payments (refund_state, recorded_at)
    WHERE refund_state IS NOT NULL;

-- Refunds ----------------------------------------------------------------------

CREATE TABLE alipay_refunds (
    -- stable per payment: a retry sends the same one, and Alipay refunds once
    out_request_no  text PRIMARY KEY CHECK (out_request_no ~ '^[A-Za-z0-9_]{1,64}$'),
    payment_id      bigint NOT NULL UNIQUE REFERENCES alipay_payments ON DELETE CASCADE,
    amount_fen      money_fen NOT NULL CHECK (amount_fen > 0),
    reason          text NOT NULL CHECK (btrim(reason) <> '' AND char_length(reason) <= 256),
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'done', 'failed')),
    requested_by    bigint NOT NULL REFERENCES staff,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_try_at     timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    fund_change     boolean,
    result          jsonb,
    last_error      text CHECK (char_length(last_error) <= 500),
    done_at         timestamptz,
    CHECK ((state = 'done') = (done_at IS NOT NULL))
);
COMMENT ON TABLE alipay_refunds IS 'refunds finance asked for (支付宝退款), one per payment, sent by alipay-sync (alipay.trade.refund); deleted only with the order';
COMMENT ON COLUMN alipay_refunds.out_request_no IS 'R<payment id>_1: the same on every retry, so Alipay refunds once';
COMMENT ON COLUMN alipay_refunds.state IS 'queued (due at next_try_at), sending (an alipay-sync run holds it until lease_until), done, failed (finance may ask again)';
COMMENT ON COLUMN alipay_refunds.requested_by IS 'the finance member who asked (the last time)';
COMMENT ON COLUMN alipay_refunds.attempts IS 'sends since the request';
COMMENT ON COLUMN alipay_refunds.fund_change IS 'Alipay''s fund_change: Y (this call moved the money) or N (an earlier one did)';
COMMENT ON COLUMN alipay_refunds.result IS 'Alipay''s verified answer (alipay_trade_refund_response)';

CREATE INDEX alipay_refunds_due_idx ON alipay_refunds (next_try_at) WHERE state IN ('queued', 'sending');

-- The audit trail: finance's request, and what came of it ------------------------

INSERT INTO audit_actions (code, name) VALUES
    ('alipay_to_refund',     '支付宝付款待退款'),
    ('alipay_refund',        '支付宝退款'),
    ('alipay_refund_done',   '支付宝退款成功'),
    ('alipay_refund_failed', '支付宝退款失败');
