-- Payments: the choice of payment (api.order_pay), the transfer and its
-- voucher, and finance's confirmation or refusal of the voucher.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- The transfer's details are written as the order enters pending_voucher
-- (api.order_pay: the transition, then the row), for the amount the order
-- was submitted for.
CREATE OR REPLACE FUNCTION order_transfers_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o orders;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.order_id <> OLD.order_id THEN
        RAISE EXCEPTION 'a transfer stays with its order'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO STRICT o FROM orders WHERE id = NEW.order_id FOR SHARE;
    IF o.state <> 'pending_voucher' THEN
        PERFORM raise_api_error('CH409', 'order_not_awaiting_voucher',
                                format('订单当前状态为“%s”，不能选择公对公转账',
                                       (SELECT name FROM order_states WHERE code = o.state)));
    END IF;
    IF NEW.amount_fen IS DISTINCT FROM o.amount_fen THEN
        RAISE EXCEPTION 'order %: the transfer is for the order''s amount_fen (%), not %',
                        o.id, o.amount_fen, NEW.amount_fen
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION order_transfers_guard() IS
    'order_transfers is written only while the order is pending_voucher (CH409), for the order''s amount';

CREATE OR REPLACE TRIGGER order_transfers_guard BEFORE INSERT OR UPDATE ON order_transfers
    FOR EACH ROW EXECUTE FUNCTION order_transfers_guard();

-- The API: paying by bank transfer -----------------------------------------

-- POST /api/orders/{id}/pay with method=transfer: the order goes
-- pending_payment -> pending_voucher through the state machine (which
-- refuses any other state with its CH409 illegal_transition), and the bank
-- details the module was configured with are kept as shown, for the
-- order's amount.  Choosing transfer again after going back to Alipay
-- renews them.  Alipay has a function of its own, api.order_pay_alipay
-- (47_alipay.sql), which the module calls for method=alipay; here any
-- method but transfer is a bad field.
CREATE OR REPLACE FUNCTION api.order_pay(p_token text, p_csrf text, p_order_id text, p_method text,
                              p_payee text, p_bank text, p_account text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
    t order_transfers;
BEGIN
    IF p_method IS DISTINCT FROM 'transfer' THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请选择正确的支付方式', 'method');
    END IF;

    o := order_transition(o.id, 'pending_voucher', 'applicant', s.account_id);
    INSERT INTO order_transfers (order_id, payee, bank, account, amount_fen)
    VALUES (o.id, p_payee, p_bank, p_account, o.amount_fen)
    ON CONFLICT (order_id) DO UPDATE
       SET payee = EXCLUDED.payee, bank = EXCLUDED.bank, account = EXCLUDED.account,
           amount_fen = EXCLUDED.amount_fen, chosen_at = now()
    RETURNING * INTO t;

    -- a statement of its own: the order's JSON must see the event and the
    -- transfer written above
    RETURN json_build_object('method', 'transfer', 'amount_fen', t.amount_fen,
                             'payee', t.payee, 'bank', t.bank, 'account', t.account,
                             'note', '转账凭证的付款单位名称须与申请单位名称一致',
                             'order', order_json(o));
END
$$;

COMMENT ON FUNCTION api.order_pay(text, text, text, text, text, text, text) IS
    'POST /api/orders/{id}/pay (transfer): pending_payment -> pending_voucher, the bank details kept; CH400 method, CH404, CH409 illegal_transition';

-- inserted only for a voucher of the order, while the order is under
-- review; never changed; deleted only with the order
CREATE OR REPLACE FUNCTION voucher_reviews_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM orders WHERE id = OLD.order_id) THEN
            RETURN OLD;         -- the order itself is being deleted
        END IF;
        RAISE EXCEPTION 'voucher_reviews: rows are only ever appended (DELETE refused)'
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'voucher_reviews: rows are only ever appended (UPDATE refused)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM FROM materials m
    WHERE m.id = NEW.material_id AND m.order_id = NEW.order_id AND m.kind = 'transfer_voucher';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voucher_reviews: material % is no transfer voucher of order %',
                        NEW.material_id, NEW.order_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM FROM orders o WHERE o.id = NEW.order_id AND o.state = 'pending_review' FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voucher_reviews: order % is not under review', NEW.order_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION voucher_reviews_guard() IS
    'voucher_reviews: a voucher of the order, judged while the order is pending_review; append only, deleted only with the order';

CREATE OR REPLACE TRIGGER voucher_reviews_guard BEFORE INSERT OR UPDATE OR DELETE ON voucher_reviews
    FOR EACH ROW EXECUTE FUNCTION voucher_reviews_guard();

-- The invariants of the back office, whoever moves the order --------------------

-- The current transfer voucher of an order (NULL if none), and the
-- decision on it (NULL while not judged).
CREATE OR REPLACE FUNCTION order_voucher(p_order_id text, OUT material_id bigint, OUT decision text,
                              OUT payer_name text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT m.id, r.decision, r.payer_name INTO material_id, decision, payer_name
    FROM (SELECT 1) one
    LEFT JOIN materials m ON m.order_id = p_order_id AND m.kind = 'transfer_voucher'
                         AND m.replaced_at IS NULL
    LEFT JOIN voucher_reviews r ON r.material_id = m.id;
END
$$;

COMMENT ON FUNCTION order_voucher(text) IS 'the order''s current transfer voucher and finance''s decision on it (NULLs: none, not judged)';

-- Finance ----------------------------------------------------------------------

-- A payer's or applicant's name as compared: no blanks of any kind
-- (full-width and no-break ones too), full-width brackets as ASCII ones,
-- which is how the same name differs between a bank's voucher and a form.
CREATE OR REPLACE FUNCTION payer_name_key(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN translate(regexp_replace(p_name, '[[:space:]\u00a0\u2000-\u200b\u3000\ufeff]', '', 'g'),
                 '（）', '()');

COMMENT ON FUNCTION payer_name_key(text) IS 'a name as the voucher check compares it: without blanks, （） as ()';

-- The voucher finance may judge: the order under review, a current voucher
-- not judged yet.  The order is locked.
CREATE OR REPLACE FUNCTION staff_voucher(p_order_id text, p_what text, OUT o orders, OUT material_id bigint)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v record;
BEGIN
    o := staff_order(p_order_id, true);
    v := order_voucher(o.id);
    IF v.material_id IS NULL THEN
        PERFORM raise_api_error('CH409', 'no_voucher', '该订单没有转账凭证');
    ELSIF o.state <> 'pending_review' THEN
        PERFORM raise_api_error('CH409', 'no_voucher',
                                format('订单当前状态为“%s”，没有待%s的转账凭证',
                                       order_state_label(o.state), p_what));
    ELSIF v.decision = 'confirmed' THEN
        PERFORM raise_api_error('CH409', 'voucher_already_confirmed', '该转账凭证已确认');
    ELSIF v.decision IS NOT NULL THEN
        PERFORM raise_api_error('CH409', 'voucher_already_confirmed', '该转账凭证已退回');
    END IF;
    material_id := v.material_id;
END
$$;

COMMENT ON FUNCTION staff_voucher(text, text) IS
    'the order (locked) and its current voucher if finance may judge it now: CH404, CH409 no_voucher, voucher_already_confirmed';

-- 确认转账凭证: the money came from the applicant, for the order's amount.
-- The state does not change: the order stays with the reviewers, who may
-- now approve it.
CREATE OR REPLACE FUNCTION admin.voucher_confirm(p_token text, p_csrf text, p_client inet, p_order_id text,
                                      p_payer text, p_amount_fen bigint)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         record := staff_acting(p_token, p_csrf, 'finance');
    v         record := staff_voucher(p_order_id, '确认');
    o         orders := v.o;
    v_payer   text := staff_text(p_payer);
    v_applicant text;
BEGIN
    SELECT coalesce(i.org_name, i.person_name) INTO v_applicant
    FROM order_info i WHERE i.order_id = o.id;
    IF v_payer IS NULL OR char_length(v_payer) > 100
       OR payer_name_key(v_payer) IS DISTINCT FROM payer_name_key(v_applicant)
    THEN
        PERFORM raise_api_error('CH422', 'payer_mismatch',
                                format('付款单位名称与申请单位名称不一致（申请单位：%s），请退回转账凭证',
                                       v_applicant), 'payer');
    END IF;
    IF p_amount_fen IS DISTINCT FROM o.amount_fen THEN
        PERFORM raise_api_error('CH422', 'amount_mismatch',
                                format('转账金额与订单金额不一致（订单金额：%s元）',
                                       to_char(o.amount_fen / 100.0, 'FM999999999990.00')), 'amount');
    END IF;

    INSERT INTO voucher_reviews (order_id, material_id, decision, payer_name, amount_fen, staff_id)
    VALUES (o.id, v.material_id, 'confirmed', v_payer, p_amount_fen, s.staff_id);
    PERFORM staff_audit_add(s.staff_id, s.login, 'voucher_confirm', o.id, v.material_id::text,
                            jsonb_build_object('voucher', 'pending'),
                            jsonb_build_object('voucher', 'confirmed', 'payer', v_payer,
                                               'amount_fen', p_amount_fen),
                            NULL, p_client);
    RETURN o.state;
END
$$;

COMMENT ON FUNCTION admin.voucher_confirm(text, text, inet, text, text, bigint) IS
    '确认转账凭证 (finance): payer and amount checked against the order (CH422 payer_mismatch, amount_mismatch; CH409 no_voucher, voucher_already_confirmed); the state stays';

-- 退回转账凭证: the applicant uploads a new one (pending_voucher)
CREATE OR REPLACE FUNCTION admin.voucher_refuse(p_token text, p_csrf text, p_client inet, p_order_id text,
                                     p_reason text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'finance');
    v        record := staff_voucher(p_order_id, '退回');
    o        orders := v.o;
    v_reason text := staff_text(p_reason);
BEGIN
    -- the machine requires it too; checked first, as the review keeps it
    IF v_reason IS NULL THEN
        PERFORM raise_api_error('CH422', 'reason_required', '请填写原因', 'reason');
    ELSIF char_length(v_reason) > 500 THEN
        PERFORM raise_api_error('CH422', 'reason_too_long', '原因不能超过500个字', 'reason');
    END IF;
    -- the review first: it is written while the order is under review
    INSERT INTO voucher_reviews (order_id, material_id, decision, reason, staff_id)
    VALUES (o.id, v.material_id, 'refused', v_reason, s.staff_id);
    o := order_transition(o.id, 'pending_voucher', 'finance', s.staff_id, v_reason);
    PERFORM staff_audit_add(s.staff_id, s.login, 'voucher_refuse', o.id, v.material_id::text,
                            jsonb_build_object('state', 'pending_review', 'voucher', 'pending'),
                            jsonb_build_object('state', o.state, 'voucher', 'refused'),
                            v_reason, p_client);
    RETURN o.state;
END
$$;

COMMENT ON FUNCTION admin.voucher_refuse(text, text, inet, text, text) IS
    '退回转账凭证 (finance): pending_review -> pending_voucher with the reason; CH409 no_voucher, voucher_already_confirmed; CH422 reason_required';
