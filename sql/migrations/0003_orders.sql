-- Schema v1, part 2: orders and their one state machine.
--
-- The states, the actors and the allowed transitions are data (tables
-- below); order_transition() is the one function that applies a
-- transition: it locks the order, checks the transition against the data,
-- updates the order, appends the event and queues the applicant's message,
-- all in the caller's transaction.  A trigger refuses any other change of
-- the state.  order_create() makes drafts.

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

SET LOCAL timezone = 'Asia/Shanghai';

-- The machine as data -------------------------------------------------------

CREATE TABLE order_states (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name            text NOT NULL UNIQUE,
    sort_order      integer NOT NULL,
    is_final        boolean NOT NULL DEFAULT false,
    message_title   text NOT NULL CHECK (btrim(message_title) <> ''),
    message_body    text NOT NULL CHECK (btrim(message_body) <> ''),
    -- templates know {order_id} and {reason}, nothing else
    CHECK (regexp_replace(message_title || message_body,
                          '\{(order_id|reason)\}', '', 'g') !~ '[{}]')
);
COMMENT ON TABLE order_states IS 'the states of an order (DESIGN.md), with the label users see and the message an applicant gets on entering one';
COMMENT ON COLUMN order_states.name IS 'as shown; screens may say 资料待审核 for pending_review or 待自取 for a pickup in pending_shipment';
COMMENT ON COLUMN order_states.is_final IS 'no transition leaves a final state';
COMMENT ON COLUMN order_states.message_title IS 'title of the message on entering the state; {order_id} and {reason} are filled in';
COMMENT ON COLUMN order_states.message_body IS 'body of that message; {order_id} and {reason} are filled in';

INSERT INTO order_states (code, name, sort_order, is_final, message_title, message_body) VALUES
    ('draft', '填写中', 10, false, '订单已创建',
     '您的订单{order_id}已创建，请填写基本信息、上传资料和开票信息后提交订单。'),
    ('pending_payment', '待支付', 20, false, '订单待支付',
     '您的订单{order_id}已提交，请尽快完成支付；超时未支付的订单将自动取消。'),
    ('pending_voucher', '待上传凭证', 30, false, '请上传转账凭证',
     '您的订单{order_id}选择了公对公转账，请转账后上传转账凭证；转账凭证的付款单位名称须与申请单位名称一致。'),
    ('pending_review', '待审核', 40, false, '订单待审核',
     '您的订单{order_id}已进入人工审核，审核结果将通过消息通知您。'),
    ('rejected', '审核未通过', 50, false, '审核未通过',
     '您的订单{order_id}审核未通过，原因：{reason}。请修改资料后重新提交。'),
    ('pending_shipment', '待邮寄', 60, false, '审核已通过',
     '您的订单{order_id}已审核通过，证书将在两个工作日内寄出；选择受理点自取的，请凭订单号到受理点领取。'),
    ('shipped', '待收货', 70, false, '证书已寄出',
     '您的订单{order_id}的证书已寄出，收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。'),
    ('pending_invoice', '待开票', 80, false, '已确认收货',
     '您的订单{order_id}已确认收货，电子发票将自动开出；您也可以在订单详情中点击“开具发票”。'),
    ('completed', '已完成', 90, true, '电子发票已开具',
     '您的订单{order_id}的电子发票已开具，可在“我的订单”中查看订单并下载发票。'),
    ('cancelled', '已取消', 100, true, '订单已取消',
     '您的订单{order_id}已取消。');

CREATE TABLE actor_kinds (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name            text NOT NULL UNIQUE,
    needs_actor_id  boolean NOT NULL
);
COMMENT ON TABLE actor_kinds IS 'who may make a transition';
COMMENT ON COLUMN actor_kinds.needs_actor_id IS 'true: the event names the actor (applicant: accounts.id; staff: the staff account id); false: nobody in particular (scheduled jobs, verified payment notices)';

INSERT INTO actor_kinds (code, name, needs_actor_id) VALUES
    ('applicant', '申请人',   true),
    ('reviewer',  '审核员',   true),
    ('finance',   '财务',     true),
    ('shipper',   '发货员',   true),
    ('system',    '系统',     false),  -- scheduled jobs: unpaid timeout, auto-confirm, invoices
    ('payment',   '支付平台', false);  -- a verified Alipay notification

CREATE TABLE order_transitions (
    from_state      text NOT NULL REFERENCES order_states,
    to_state        text NOT NULL REFERENCES order_states,
    actor_kind      text NOT NULL REFERENCES actor_kinds,
    action          text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*$'),
    action_name     text NOT NULL,
    reason_required boolean NOT NULL DEFAULT false,
    submits         boolean NOT NULL DEFAULT false,
    message_title   text,
    message_body    text,
    PRIMARY KEY (from_state, to_state, actor_kind),
    -- an actor names what it does; the programs may map it to the target
    UNIQUE (from_state, actor_kind, action),
    CHECK (from_state <> to_state),
    CHECK (NOT submits OR from_state = 'draft'),
    CHECK ((message_title IS NULL) = (message_body IS NULL)),
    CHECK (btrim(message_title) <> '' AND btrim(message_body) <> ''),
    CHECK (regexp_replace(message_title || message_body,
                          '\{(order_id|reason)\}', '', 'g') !~ '[{}]')
);
COMMENT ON TABLE order_transitions IS 'the allowed transitions: from this state to that one, by this kind of actor; anything else is refused';
COMMENT ON COLUMN order_transitions.action IS 'what the actor does, as programs name it (submit, cancel, approve...)';
COMMENT ON COLUMN order_transitions.action_name IS 'the same for people, e.g. on back-office buttons and in the timeline';
COMMENT ON COLUMN order_transitions.reason_required IS 'the actor must say why (the applicant is told)';
COMMENT ON COLUMN order_transitions.submits IS 'this is the submission: fixes amount_fen from the current price and sets submitted_at';
COMMENT ON COLUMN order_transitions.message_title IS 'the message for this transition when the target state''s default does not fit';
COMMENT ON COLUMN order_transitions.message_body IS 'see message_title';

INSERT INTO order_transitions (from_state, to_state, actor_kind, action, action_name,
                               reason_required, submits, message_title, message_body) VALUES
    ('draft', 'pending_payment', 'applicant', 'submit', '提交订单',
     false, true, NULL, NULL),
    ('draft', 'cancelled', 'applicant', 'cancel', '取消订单',
     false, false, NULL, NULL),
    -- Alipay pays at once: no voucher to check
    ('pending_payment', 'pending_review', 'payment', 'alipay_paid', '支付宝支付成功',
     false, false, '支付成功',
     '您的订单{order_id}已支付成功，资料已进入人工审核，审核结果将通过消息通知您。'),
    ('pending_payment', 'pending_voucher', 'applicant', 'choose_transfer', '选择公对公转账',
     false, false, NULL, NULL),
    ('pending_payment', 'cancelled', 'applicant', 'cancel', '取消订单',
     false, false, NULL, NULL),
    ('pending_payment', 'cancelled', 'system', 'expire', '超时未支付，自动取消',
     false, false, '订单已自动取消',
     '您的订单{order_id}超时未支付，已自动取消；如仍需办理，请重新申请。'),
    ('pending_voucher', 'pending_review', 'applicant', 'upload_voucher', '上传转账凭证',
     false, false, '转账凭证已上传',
     '您的订单{order_id}的转账凭证已上传，财务确认到账后将审核您的资料，审核结果将通过消息通知您。'),
    ('pending_voucher', 'pending_payment', 'applicant', 'choose_alipay', '改用支付宝支付',
     false, false, NULL, NULL),
    ('pending_voucher', 'cancelled', 'applicant', 'cancel', '取消订单',
     false, false, NULL, NULL),
    ('pending_review', 'pending_shipment', 'reviewer', 'approve', '审核通过',
     false, false, NULL, NULL),
    ('pending_review', 'rejected', 'reviewer', 'reject', '审核不通过',
     true, false, NULL, NULL),
    ('pending_review', 'pending_voucher', 'finance', 'refuse_voucher', '退回转账凭证',
     true, false, '转账凭证未通过审核',
     '您的订单{order_id}的转账凭证未通过财务审核，原因：{reason}。请重新上传转账凭证。'),
    ('rejected', 'pending_review', 'applicant', 'resubmit', '重新提交',
     false, false, '资料已重新提交',
     '您的订单{order_id}已重新提交，请等待审核，审核结果将通过消息通知您。'),
    ('pending_shipment', 'shipped', 'shipper', 'ship', '快递寄出',
     false, false, NULL, NULL),
    ('pending_shipment', 'pending_invoice', 'shipper', 'pick_up', '受理点自取',
     false, false, '证书已领取',
     '您已在受理点领取订单{order_id}的证书，电子发票将自动开出；您也可以在订单详情中点击“开具发票”。'),
    ('shipped', 'pending_invoice', 'applicant', 'confirm_receipt', '确认收货',
     false, false, NULL, NULL),
    ('shipped', 'pending_invoice', 'system', 'auto_confirm', '30天自动确认收货',
     false, false, '已自动确认收货',
     '您的订单{order_id}的证书寄出已满30天，系统已自动确认收货，电子发票将自动开出。'),
    ('pending_invoice', 'completed', 'system', 'invoice_issued', '电子发票已开具',
     false, false, NULL, NULL),
    ('pending_invoice', 'completed', 'finance', 'invoice_issued', '电子发票已开具',
     false, false, NULL, NULL);

-- Orders --------------------------------------------------------------------

-- Order ids as in the seeds: 'UO' + Beijing time yyyyMMddHHmmss + 4 digits.
-- The 4 digits come from a sequence that cycles through 0000-9999, so ids
-- are unique as long as fewer than 10,000 orders share one second;
-- order_create() steps over a taken id in the rare case they do not.  The
-- digits count orders (they tell how busy the hall is): an id is no secret,
-- who may see an order is checked by its account.
CREATE SEQUENCE order_id_seq AS integer MINVALUE 0 MAXVALUE 9999 START 0 CYCLE;
COMMENT ON SEQUENCE order_id_seq IS 'the last 4 digits of order ids, cycling';

CREATE TABLE orders (
    id               text PRIMARY KEY CHECK (id ~ '^UO[0-9]{18}$'),
    account_id       bigint NOT NULL REFERENCES accounts,
    project_code     text NOT NULL REFERENCES projects,
    service          text NOT NULL REFERENCES services,
    cert_type        text NOT NULL REFERENCES cert_types,
    state            text NOT NULL DEFAULT 'draft' REFERENCES order_states,
    state_entered_at timestamptz NOT NULL DEFAULT now(),
    amount_fen       money_fen,
    created_at       timestamptz NOT NULL DEFAULT now(),
    submitted_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (project_code, service, cert_type) REFERENCES project_services,
    -- the price is fixed by the submission and only by it
    CHECK ((amount_fen IS NULL) = (submitted_at IS NULL)),
    CHECK (state <> 'draft' OR submitted_at IS NULL),
    CHECK (submitted_at >= created_at),
    CHECK (updated_at >= created_at),
    CHECK (state_entered_at >= created_at)
);
COMMENT ON TABLE orders IS 'applications (订单): one service for one certificate type of one project, moved through order_states by order_transition() only';
COMMENT ON COLUMN orders.id IS 'UO + Beijing time of creation yyyyMMddHHmmss + 4 digits (order_id_next)';
COMMENT ON COLUMN orders.state IS 'changed by order_transition() only (trigger orders_guard)';
COMMENT ON COLUMN orders.state_entered_at IS 'when the order entered its state: the clock of the timeouts (unpaid, 30 days shipped)';
COMMENT ON COLUMN orders.amount_fen IS 'the price at submission, in fen; NULL while never submitted';
COMMENT ON COLUMN orders.submitted_at IS 'when the applicant submitted (提交日期); NULL while never submitted';

-- My orders (GET /api/orders) always filters by account and lists newest
-- first; one account has tens of orders, so its project, service, text and
-- date filters are applied to that account's rows read through this index.
CREATE INDEX orders_account_created_idx ON orders (account_id, created_at DESC, id DESC);
-- my orders in one state (the 待支付 / 待收货 tabs and their counts)
CREATE INDEX orders_account_state_idx ON orders (account_id, state, created_at DESC);
-- back-office queues (待审核 oldest first) and the scheduled jobs (unpaid
-- for too long, shipped 30 days ago) go by state across all accounts
CREATE INDEX orders_state_entered_idx ON orders (state, state_entered_at);
-- staff lists by project and service; also serves the foreign key to
-- project_services
CREATE INDEX orders_project_service_idx ON orders (project_code, service, cert_type, created_at DESC);

CREATE TABLE order_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    text NOT NULL REFERENCES orders,
    from_state  text REFERENCES order_states,
    to_state    text NOT NULL REFERENCES order_states,
    actor_kind  text NOT NULL REFERENCES actor_kinds,
    actor_id    bigint,
    reason      text CHECK (btrim(reason, E' \t\r\n\u3000') <> '' AND char_length(reason) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE order_events IS 'the history of every order: each transition, who, when, from, to, why; append only';
COMMENT ON COLUMN order_events.from_state IS 'NULL for the creation of the order (to draft)';
COMMENT ON COLUMN order_events.actor_id IS 'accounts.id for an applicant, the staff account id for staff, NULL for system and payment';
COMMENT ON COLUMN order_events.reason IS 'why, as the actor put it (shown to the applicant for rejections)';

-- the timeline of one order
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

CREATE TABLE messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts,
    order_id    text REFERENCES orders,
    title       text NOT NULL CHECK (btrim(title) <> ''),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz CHECK (read_at >= created_at)
);
COMMENT ON TABLE messages IS 'messages for applicants (我的消息)';
COMMENT ON COLUMN messages.order_id IS 'the order the message is about, if any';
COMMENT ON COLUMN messages.read_at IS 'when the applicant read it; NULL = unread';

-- my messages, newest first
CREATE INDEX messages_account_created_idx ON messages (account_id, created_at DESC, id DESC);
-- the unread count shown on every page (GET /api/me): only unread rows
CREATE INDEX messages_account_unread_idx ON messages (account_id) WHERE read_at IS NULL;
-- an order's messages, and the foreign key
CREATE INDEX messages_order_idx ON messages (order_id) WHERE order_id IS NOT NULL;
