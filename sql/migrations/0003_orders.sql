-- Schema v1, part 2: orders and their one state machine.
--
-- The states, the actors and the allowed transitions are data (tables
-- below); order_transition() is the one function that applies a
-- transition: it locks the order, checks the transition against the data,
-- updates the order, appends the event and queues the applicant's message,
-- all in the caller's transaction.  A trigger refuses any other change of
-- the state.  order_create() makes drafts.

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

-- Beijing time whatever the session's TimeZone.  Callers pass the order's
-- created_at (now()), so the id tells when the order was created.
CREATE FUNCTION order_id_next(p_at timestamptz DEFAULT now())
RETURNS text
LANGUAGE sql
VOLATILE
RETURN 'UO' || to_char(p_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS')
            || lpad(nextval('public.order_id_seq')::text, 4, '0');
COMMENT ON FUNCTION order_id_next(timestamptz) IS 'a new order id: UO + Beijing time yyyyMMddHHmmss of p_at + 4 cycling digits';

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

-- The guard -----------------------------------------------------------------

-- Only order_transition() changes state, state_entered_at, amount_fen and
-- submitted_at.
--
-- Why a trigger and a transaction-local setting rather than privileges:
-- the module and the back office connect as certhall, the role that owns
-- the tables, and an owner can always grant itself back what is revoked;
-- a SECURITY DEFINER function plus REVOKE UPDATE (state) needs a second,
-- non-owner login role, which a migration cannot create (certhall has no
-- CREATEROLE).  So order_transition() sets certhall.transition_order to the
-- id of the order it is changing for just its UPDATE, and this trigger
-- refuses a change of those columns of any other row, or at any other
-- time.  It stops mistakes (an UPDATE in some feature's code, a hand-made
-- fix in psql), not a hostile owner, who could set the same setting or
-- disable the trigger; separate roles are the step after this one.
--
-- It also keeps what an order is for unchanged (its price and materials
-- depend on it), makes new orders start as drafts, and stamps updated_at.
-- Its errors are programming errors, hence 42501 rather than a CHnnn.
CREATE FUNCTION orders_guard()
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

    IF (NEW.id, NEW.account_id, NEW.project_code, NEW.service, NEW.cert_type, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.account_id, OLD.project_code, OLD.service, OLD.cert_type, OLD.created_at)
    THEN
        RAISE EXCEPTION 'order %: its id, account, project, service, certificate type and creation time never change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF (NEW.state, NEW.state_entered_at, NEW.amount_fen, NEW.submitted_at)
       IS DISTINCT FROM (OLD.state, OLD.state_entered_at, OLD.amount_fen, OLD.submitted_at)
       AND current_setting('certhall.transition_order', true) IS DISTINCT FROM OLD.id
    THEN
        RAISE EXCEPTION 'order %: state, state_entered_at, amount_fen and submitted_at change only through order_transition()', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION orders_guard() IS 'refuses changes of orders.state (and the price, submission time, identity) outside order_transition()';

CREATE TRIGGER orders_guard BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_guard();

-- Creating an order ---------------------------------------------------------

-- POST /api/orders: a draft for the account, if the project offers that
-- service for that certificate type now.  Returns the new order id.
-- Records the creation as an event (from NULL to draft) and sends the
-- draft's message, like any entry into a state.
CREATE FUNCTION order_create(p_account_id bigint, p_project_code text,
                             p_service text, p_cert_type text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_project_active boolean;
    v_offer_enabled  boolean;
    v_state          order_states;
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

    -- a taken id (10,000 orders in one second) is stepped over; a whole
    -- second's worth of taken ids is a runaway caller, not a reason to spin.
    -- The id tells created_at = now(), which does not move within one
    -- transaction: one transaction makes at most 10,000 orders (the hall
    -- makes one per request; an import of old orders brings their ids).
    LOOP
        v_id := order_id_next(now());
        INSERT INTO orders (id, account_id, project_code, service, cert_type)
        VALUES (v_id, p_account_id, p_project_code, p_service, p_cert_type)
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
COMMENT ON FUNCTION order_create(bigint, text, text, text) IS
    'creates a draft order for the account (errors CH404/CH422/CH400 with the field); returns its id';

-- The one transition function -----------------------------------------------

-- Moves an order to p_to_state on behalf of an actor, in the caller's
-- transaction (one statement in autocommit is one transaction):
--   1. checks the arguments (CH400), locks the order row (CH404 if none);
--   2. an applicant may only act on their own order (CH403);
--   3. the transition (current state, p_to_state, p_actor_kind) must be in
--      order_transitions (CH409), with a reason where it needs one (CH422);
--   4. updates the order (submission also fixes the price), appends the
--      event and queues the applicant's message.
-- A refusal raises before anything is written, and any error undoes the
-- statement, so a refused transition changes nothing.
--
-- Concurrency: SELECT ... FOR UPDATE makes a second transition of the same
-- order wait for the first to commit; under READ COMMITTED it then reads
-- the new state and is judged against it (so two identical requests: one
-- wins, the other gets CH409).  Under REPEATABLE READ the loser gets a
-- serialization failure (40001) instead; the programs use READ COMMITTED.
--
-- p_actor_id: accounts.id for an applicant, the staff account's id for
-- staff, NULL for system and payment.  p_reason: why (trimmed; blank = no
-- reason), at most 500 characters; shown to the applicant where the message
-- says {reason}.
CREATE FUNCTION order_transition(p_order_id text, p_to_state text, p_actor_kind text,
                                 p_actor_id bigint, p_reason text DEFAULT NULL)
RETURNS orders
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_actor   actor_kinds;
    v_to      order_states;
    v_from    order_states;
    v_rule    order_transitions;
    v_order   orders;
    v_price   bigint;
    -- blank is no reason: spaces, tabs, newlines, full-width spaces
    v_reason  text := nullif(btrim(p_reason, E' \t\r\n\u3000'), '');
BEGIN
    SELECT * INTO v_actor FROM actor_kinds WHERE code = p_actor_kind;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH400', 'unknown_actor_kind',
                                format('未知的操作者类型：%s', coalesce(p_actor_kind, '（空）')));
    END IF;
    SELECT * INTO v_to FROM order_states WHERE code = p_to_state;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH400', 'unknown_state',
                                format('未知的订单状态：%s', coalesce(p_to_state, '（空）')));
    END IF;
    IF v_actor.needs_actor_id AND p_actor_id IS NULL THEN
        PERFORM raise_api_error('CH400', 'actor_id_required',
                                format('缺少操作者（%s）的编号', v_actor.name));
    ELSIF NOT v_actor.needs_actor_id AND p_actor_id IS NOT NULL THEN
        PERFORM raise_api_error('CH400', 'actor_id_not_allowed',
                                format('操作者“%s”没有编号', v_actor.name));
    END IF;
    IF char_length(v_reason) > 500 THEN
        PERFORM raise_api_error('CH422', 'reason_too_long', '原因不能超过500个字', 'reason');
    END IF;

    SELECT * INTO v_order FROM orders WHERE id = p_order_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'order_not_found', '订单不存在');
    END IF;

    IF v_actor.code = 'applicant' AND v_order.account_id <> p_actor_id THEN
        PERFORM raise_api_error('CH403', 'not_your_order', '无权操作此订单');
    END IF;

    SELECT * INTO STRICT v_from FROM order_states WHERE code = v_order.state;
    SELECT * INTO v_rule
    FROM order_transitions
    WHERE from_state = v_order.state AND to_state = v_to.code AND actor_kind = v_actor.code;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH409', 'illegal_transition',
                                format('订单当前状态为“%s”，不能执行此操作', v_from.name));
    END IF;

    IF v_rule.reason_required AND v_reason IS NULL THEN
        PERFORM raise_api_error('CH422', 'reason_required', '请填写原因', 'reason');
    END IF;

    -- the submission fixes the price of the moment; the offer must still be
    -- open, as when the draft was made
    IF v_rule.submits THEN
        SELECT ps.price_fen INTO v_price
        FROM project_services ps
        JOIN projects p ON p.code = ps.project_code
        WHERE ps.project_code = v_order.project_code AND ps.service = v_order.service
          AND ps.cert_type = v_order.cert_type AND ps.enabled AND p.active;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH422', 'service_unavailable',
                                    '该项目暂停受理此业务，订单不能提交', 'service');
        END IF;
    END IF;

    -- the guard lets this row's state change during this UPDATE only
    PERFORM set_config('certhall.transition_order', v_order.id, true);
    UPDATE orders
       SET state            = v_to.code,
           state_entered_at = now(),
           submitted_at = CASE WHEN v_rule.submits THEN now() ELSE submitted_at END,
           amount_fen       = CASE WHEN v_rule.submits THEN v_price ELSE amount_fen END
     WHERE id = v_order.id
    RETURNING * INTO STRICT v_order;
    PERFORM set_config('certhall.transition_order', '', true);

    INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, reason)
    VALUES (v_order.id, v_from.code, v_to.code, v_actor.code, p_actor_id, v_reason);

    INSERT INTO messages (account_id, order_id, title, body)
    SELECT v_order.account_id, v_order.id,
           replace(replace(t.title, '{order_id}', v_order.id), '{reason}', coalesce(v_reason, '')),
           replace(replace(t.body,  '{order_id}', v_order.id), '{reason}', coalesce(v_reason, ''))
    FROM (SELECT coalesce(v_rule.message_title, v_to.message_title) AS title,
                 coalesce(v_rule.message_body,  v_to.message_body)  AS body) AS t;

    RETURN v_order;
END
$$;
COMMENT ON FUNCTION order_transition(text, text, text, bigint, text) IS
    'the one way to change an order''s state: locks, checks order_transitions, updates, logs the event, queues the message; errors CH400/CH403/CH404/CH409/CH422';
