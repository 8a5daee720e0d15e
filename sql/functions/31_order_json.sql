-- The order's JSON (GET /api/orders/{id} and every answer that returns the
-- order) and what the applicant may do with it now.  Out of 32_orders.sql
-- (issue 22) when they became PL/pgSQL: see sql/README.md, "Rules".

-- The applicant's actions and the order's JSON -------------------------------

-- what the applicant may do with the order now: 'resubmit' (重新提交) while
-- rejected with nothing missing
CREATE OR REPLACE FUNCTION order_actions(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(a.action ORDER BY a.n), '[]'::json)
        FROM (VALUES (1, 'edit', order_editable(p_order.state)),
                     (2, 'submit', p_order.state = 'draft'),
                     (3, 'resubmit', p_order.state = 'rejected'
                                     AND json_array_length(order_resubmit_missing(p_order)) = 0),
                     (4, 'cancel', EXISTS (SELECT FROM order_transitions t
                                           WHERE t.from_state = p_order.state
                                             AND t.to_state = 'cancelled'
                                             AND t.actor_kind = 'applicant')),
                     (5, 'confirm_receipt', p_order.state = 'shipped'),
                     (6, 'invoice_request', order_invoice_requestable(p_order)),
                     (7, 'invoice_edit', NOT order_editable(p_order.state) AND order_invoice_editable(p_order)))
             AS a (n, action, allowed)
        WHERE a.allowed);
END
$$;

COMMENT ON FUNCTION order_actions(orders) IS
    'what the applicant may do with the order now: edit, submit, resubmit (rejected, nothing missing), cancel, confirm_receipt (shipped), invoice_request (pending_invoice, when it does something: nothing open nor issued, or a retry waiting for later), invoice_edit (开票信息 correctable after the submission)';

-- GET /api/orders/{id}: everything about one order (PL/pgSQL, as its parts:
-- its plans are kept for the session, see sql/README.md); among it:
--   "state_name"    as the applicant sees it (资料待审核, 0008)
--   "agreements"    the versions of the texts agreed, and when (0009)
--   "voucher_decision"  finance's decision on the current transfer
--                   voucher: confirmed, refused, or null (not judged, none)
--   "paid_fen"      what has been paid: the amount finance confirmed on
--                   the current voucher, else the Alipay payment's, else 0
--   "payment"       the Alipay payment that paid the order (method,
--                   trade_no, amount_fen, paid_at, buyer_logon_id), null
--                   when none: a transfer's stays in "transfer" (0013)
--   "alipay_attempts"  every Alipay attempt, newest first (0013)
--   "shipment"      物流状态 (order_shipment_json, 38_receipt.sql): courier,
--                   tracking number and page, pickup point, receipt, the
--                   date of the automatic confirmation; kept in every
--                   state after shipping (0014)
--   "resubmission"  while rejected: {"allowed","missing","rejection"}, the
--                   list of order_resubmit_missing() and the latest
--                   rejection (order_rejection_json); null otherwise
CREATE OR REPLACE FUNCTION order_json(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    -- 发票状态 and its name, from one reading of the invoices
    v_invoice_state text := order_invoice_state(p_order);
BEGIN
    RETURN (
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
                                    AND r.decision = 'confirmed'),
                                 (SELECT a.amount_fen FROM alipay_payments a
                                  WHERE a.order_id = o.id AND a.applied), 0),
            'payment', order_payment_json(o.id),
            'alipay_attempts', order_alipay_attempts_json(o.id),
            'shipment', order_shipment_json(p_order),
            'invoice_state', v_invoice_state,
            'invoice_state_name', invoice_state_name(v_invoice_state),
            'einvoice', order_einvoice_json(p_order),
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
        JOIN project_services ps USING (project_code, service, cert_type));
END
$$;

COMMENT ON FUNCTION order_json(orders) IS 'the JSON of GET /api/orders/{id}: the order, its certificate, information, materials, invoice, delivery, agreements, transfer, voucher and finance''s decision, the Alipay payment and attempts, what was paid, the shipment (物流状态), resubmission (while rejected) and timeline';
