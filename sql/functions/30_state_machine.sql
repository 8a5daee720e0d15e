-- The order state machine.  Its edges are data, order_transitions (0003):
-- (from_state, to_state, actor_kind, action).  order_transition() is the
-- one way along them; the guards are triggers on orders that refuse a move
-- for what the edge alone cannot say, each guard a named function placed
-- below next to the edges it guards.  The names of the states
-- (order_state_name ...) are at the end.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).
--
-- The edges and their guards (every move also passes orders_guard: the
-- state changes only through order_transition()):
--
--   from              to                actor(s)              action            guard
--   (none)            draft             applicant             order_create()    order_guard_applicant_verified
--   draft             pending_payment   applicant             submit            order_guard_submission_complete
--   draft             cancelled         applicant             cancel            -
--   pending_payment   pending_voucher   applicant             choose_transfer   -
--   pending_payment   pending_review    payment               alipay_paid       -
--   pending_payment   cancelled         applicant, system     cancel, expire    -
--   pending_voucher   pending_review    applicant             upload_voucher    -
--   pending_voucher   pending_review    payment               alipay_paid       -
--   pending_voucher   pending_payment   applicant             choose_alipay     -
--   pending_voucher   cancelled         applicant             cancel            -
--   pending_review    pending_shipment  reviewer              approve           order_guard_voucher_confirmed
--   pending_review    rejected          reviewer              reject            -
--   pending_review    pending_voucher   finance               refuse_voucher    -
--   rejected          pending_review    applicant             resubmit          order_guard_submission_complete
--   pending_shipment  shipped           shipper               ship              order_guard_handover_recorded
--   pending_shipment  pending_invoice   shipper               pick_up           order_guard_handover_recorded
--   shipped           pending_invoice   applicant, system     confirm_receipt,  -
--                                                             auto_confirm
--   pending_invoice   completed         finance, system       invoice_issued    -
--
-- Entering pending_invoice queues the order's e-invoice request (or, for an
-- order of 0, completes it at once): invoice_on_pending(), 48_invoices.sql.
--
-- A payment moves the order from pending_voucher too (0013): an Alipay page
-- opened before the applicant chose the transfer, then paid; the money
-- counts and no voucher is needed (alipay_payment_apply, 47_alipay.sql).
--
-- The triggers that call the guards: orders_account_verified (INSERT),
-- orders_submission_check and orders_backoffice_check (UPDATE OF state).
-- t/sql/004_order_states.pg walks every edge.

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
CREATE OR REPLACE FUNCTION order_transition(p_order_id text, p_to_state text, p_actor_kind text,
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
    v_auto    text;
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

    -- the texts' placeholders: {order_id}, {reason}, and {auto_confirm_on},
    -- the Beijing date a shipped order is confirmed by the system
    -- (order_auto_confirm_on(), 38_receipt.sql) as 2027年1月6日
    v_auto := coalesce(to_char(order_auto_confirm_on(v_order), 'YYYY"年"FMMM"月"FMDD"日"'), '');
    INSERT INTO messages (account_id, order_id, title, body)
    SELECT v_order.account_id, v_order.id,
           replace(replace(replace(t.title, '{order_id}', v_order.id), '{reason}', coalesce(v_reason, '')),
                   '{auto_confirm_on}', v_auto),
           replace(replace(replace(t.body,  '{order_id}', v_order.id), '{reason}', coalesce(v_reason, '')),
                   '{auto_confirm_on}', v_auto)
    FROM (SELECT coalesce(v_rule.message_title, v_to.message_title) AS title,
                 coalesce(v_rule.message_body,  v_to.message_body)  AS body) AS t;

    -- every way into pending_invoice queues the e-invoice, in this
    -- transaction (48_invoices.sql); an order of 0 goes on to completed
    IF v_to.code = 'pending_invoice' THEN
        v_order := invoice_on_pending(v_order);
    END IF;
    RETURN v_order;
END
$$;

COMMENT ON FUNCTION order_transition(text, text, text, bigint, text) IS
    'the one way to change an order''s state: locks, checks order_transitions, updates, logs the event, queues the message; errors CH400/CH403/CH404/CH409/CH422';

-- The guards -----------------------------------------------------------------

-- Edge (none) -> draft, order_create(): applying for a certificate needs a
-- real-name verified account.
CREATE OR REPLACE FUNCTION order_guard_applicant_verified(p_order orders)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM FROM accounts WHERE id = p_order.account_id AND realname_status = 'verified';
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH403', 'realname_required', '请先完成实名认证');
    END IF;
END
$$;

COMMENT ON FUNCTION order_guard_applicant_verified(orders) IS
    'guard of (none) -> draft: the applicant''s account is real-name verified (CH403 realname_required)';

CREATE OR REPLACE FUNCTION account_verified_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM order_guard_applicant_verified(NEW);
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION account_verified_guard() IS 'applying for a certificate needs a real-name verified account';

CREATE OR REPLACE TRIGGER orders_account_verified BEFORE INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION account_verified_guard();

-- Edge pending_review -> pending_shipment (approve): a current voucher must
-- be confirmed by finance.  A voucher finance refused counts as none: the
-- order can only be under review again because it was paid otherwise (back
-- to Alipay: pending_voucher -> pending_payment -> paid), since the
-- applicant's way back to review is a new voucher.
CREATE OR REPLACE FUNCTION order_guard_voucher_confirmed(p_order orders)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v record;
BEGIN
    v := order_voucher(p_order.id);
    IF v.material_id IS NOT NULL AND v.decision IS DISTINCT FROM 'confirmed'
       AND v.decision IS DISTINCT FROM 'refused'
    THEN
        PERFORM raise_api_error('CH409', 'voucher_unconfirmed',
                                '转账凭证尚未经财务确认，不能审核通过');
    END IF;
END
$$;

COMMENT ON FUNCTION order_guard_voucher_confirmed(orders) IS
    'guard of pending_review -> pending_shipment: a current voucher not refused is confirmed (CH409 voucher_unconfirmed)';

-- Edges pending_shipment -> shipped (ship) and pending_shipment ->
-- pending_invoice (pick_up): an express shipment, or a pickup, recorded;
-- and, unless the service is unlock (the same key goes back), the
-- certificate issued for the order recorded.
CREATE OR REPLACE FUNCTION order_guard_handover_recorded(p_order orders)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM FROM order_shipments s
    WHERE s.order_id = p_order.id
      AND s.method = CASE p_order.state WHEN 'shipped' THEN 'express' ELSE 'pickup' END;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH409', 'shipment_missing',
                                CASE p_order.state WHEN 'shipped' THEN '请先登记快递公司和运单号'
                                                   ELSE '请先登记受理点自取' END);
    END IF;
    IF p_order.service <> 'unlock' THEN
        PERFORM FROM certificates c WHERE c.order_id = p_order.id;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH409', 'certificate_required', '请先登记签发的证书');
        END IF;
    END IF;
END
$$;

COMMENT ON FUNCTION order_guard_handover_recorded(orders) IS
    'guard of pending_shipment -> shipped / pending_invoice (p_order as it moves): its order_shipments row and, unless unlock, the issued certificate (CH409)';

-- What the back office records before a move: the guards of approve, ship
-- and pick_up.  A BEFORE UPDATE trigger, like orders_submission_check: it
-- holds for order_transition() whoever calls it.
CREATE OR REPLACE FUNCTION orders_backoffice_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF OLD.state = 'pending_review' AND NEW.state = 'pending_shipment' THEN
        PERFORM order_guard_voucher_confirmed(NEW);
    ELSIF OLD.state = 'pending_shipment' AND NEW.state IN ('shipped', 'pending_invoice') THEN
        PERFORM order_guard_handover_recorded(NEW);
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION orders_backoffice_check() IS
    'an approval needs a confirmed voucher (if one is current and not refused); shipping or a pickup needs its order_shipments row and, unless unlock, the issued certificate (CH409)';

CREATE OR REPLACE TRIGGER orders_backoffice_check BEFORE UPDATE OF state ON orders
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION orders_backoffice_check();

-- Every edge: orders are created as drafts; what identifies an order never
-- changes; the state (with its time, price and submission time) changes
-- only through order_transition(), which names the order it moves in
-- certhall.transition_order; the user terms an order was created with are
-- set once and never change; the agreement's version and the delivery are
-- set while the order is a draft (by the submission) and never after.
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

    IF OLD.terms_version IS NOT NULL
       AND (NEW.terms_version, NEW.terms_agreed_at) IS DISTINCT FROM (OLD.terms_version, OLD.terms_agreed_at)
    THEN
        RAISE EXCEPTION 'order %: the user terms it was created with never change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF OLD.state <> 'draft'
       AND (NEW.agreed_at, NEW.agreement_version, NEW.delivery_method, NEW.delivery_recipient,
            NEW.delivery_mobile, NEW.delivery_region, NEW.delivery_detail,
            NEW.delivery_postal_code, NEW.pickup_point)
           IS DISTINCT FROM
           (OLD.agreed_at, OLD.agreement_version, OLD.delivery_method, OLD.delivery_recipient,
            OLD.delivery_mobile, OLD.delivery_region, OLD.delivery_detail,
            OLD.delivery_postal_code, OLD.pickup_point)
    THEN
        PERFORM raise_api_error('CH409', 'order_not_editable', '订单已提交，领取方式不能再修改');
    END IF;

    NEW.updated_at := now();
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION orders_guard() IS
    'orders: created as drafts; identity never changes; state only through order_transition(); user terms set once; agreement and delivery only while a draft';

CREATE OR REPLACE TRIGGER orders_guard BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_guard();

-- Edges draft -> pending_payment (submit) and rejected -> pending_review
-- (resubmit): the order is complete.  A submission needs its information,
-- required materials, invoice, agreement and delivery (order_missing()); a
-- resubmission also the files its latest rejection named, uploaded again
-- (order_resubmit_missing()).
CREATE OR REPLACE FUNCTION order_guard_submission_complete(p_from_state text, p_order orders)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_missing json;
BEGIN
    v_missing := CASE WHEN p_from_state = 'rejected' THEN order_resubmit_missing(p_order)
                      ELSE order_missing(p_order) END;
    IF json_array_length(v_missing) > 0 THEN
        PERFORM raise_api_error('CH422', 'incomplete',
            '订单尚未填写完整：' || (SELECT string_agg(e->>'message', '；')
                                      FROM json_array_elements(v_missing) e));
    END IF;
    IF p_order.agreed_at IS NULL THEN
        PERFORM raise_api_error('CH422', 'incomplete', '请阅读并同意数字证书申请责任书', 'agree');
    END IF;
    IF p_order.delivery_method IS NULL THEN
        PERFORM raise_api_error('CH422', 'incomplete', '请选择领取方式', 'delivery');
    END IF;
END
$$;

COMMENT ON FUNCTION order_guard_submission_complete(text, orders) IS
    'guard of draft -> pending_payment and rejected -> pending_review: nothing missing, agreed, a delivery chosen (CH422 incomplete)';

CREATE OR REPLACE FUNCTION orders_submission_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF (OLD.state = 'draft' AND NEW.state = 'pending_payment')
       OR (OLD.state = 'rejected' AND NEW.state = 'pending_review')
    THEN
        PERFORM order_guard_submission_complete(OLD.state, NEW);
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION orders_submission_check() IS
    'a draft is submitted only with its information, required materials, invoice, agreement and delivery; a rejected order is resubmitted only with those and the files its latest rejection named uploaded again';

CREATE OR REPLACE TRIGGER orders_submission_check BEFORE UPDATE OF state ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_submission_check();

-- The names of the states -----------------------------------------------------

CREATE OR REPLACE FUNCTION invoice_state_name(p_state text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE p_state WHEN 'issued' THEN '已开票' WHEN 'pending' THEN '开票中' ELSE '未开票' END;

-- the state as the applicant sees it: 待邮寄 is 待自取 for a pickup
CREATE OR REPLACE FUNCTION order_state_name(p_name text, p_state text, p_delivery text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_state = 'pending_shipment' AND p_delivery = 'pickup'
            THEN '待自取' ELSE p_name END;

CREATE OR REPLACE FUNCTION order_state_label(p_state text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
RETURN (SELECT name FROM order_states WHERE code = p_state);

COMMENT ON FUNCTION order_state_label(text) IS 'the name of a state (待审核...), for refusals that name it';

-- 资料待审核 ------------------------------------------------------------------

-- the state as the applicant's pages say it: seed 000's 资料待审核 for
-- pending_review, and order_state_name()'s 待自取 for a pickup
CREATE OR REPLACE FUNCTION order_state_applicant_name(p_name text, p_state text, p_delivery text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_state = 'pending_review' THEN '资料待审核'
            ELSE order_state_name(p_name, p_state, p_delivery) END;

COMMENT ON FUNCTION order_state_applicant_name(text, text, text) IS
    'a state as the applicant sees it (资料待审核, 待自取); the back office keeps order_state_name()';

