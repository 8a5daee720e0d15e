-- The key reaches the applicant: the shipment as the applicant and the back
-- office see it (物流状态), 确认收货, and the rule that takes a shipped order
-- as received once order_policy.auto_confirm_days Beijing calendar days
-- have passed (`certhall-admin auto-confirm`).
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- The date of the automatic confirmation -------------------------------------

-- Calendar days in Beijing, as people count them: shipped at 23:59 on
-- 12-01 is due on 12-31 at 00:00 (30 days), however few hours that leaves.
CREATE OR REPLACE FUNCTION order_auto_confirm_on(p_order orders)
RETURNS date
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT (p_order.state_entered_at AT TIME ZONE 'Asia/Shanghai')::date + p.auto_confirm_days
        FROM order_policy p
        WHERE p_order.state = 'shipped');
END
$$;

COMMENT ON FUNCTION order_auto_confirm_on(orders) IS
    'while shipped: the Beijing date on which the system confirms receipt (the day it was shipped + order_policy.auto_confirm_days); NULL otherwise';

-- The orders due on p_now's Beijing date are those shipped before this
-- instant, 00:00 Beijing on (that date - auto_confirm_days + 1): a bound on
-- state_entered_at, which the index orders_state_entered_idx serves.
CREATE OR REPLACE FUNCTION order_auto_confirm_shipped_before(p_now timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT (((p_now AT TIME ZONE 'Asia/Shanghai')::date - p.auto_confirm_days + 1)::timestamp
            AT TIME ZONE 'Asia/Shanghai')
    FROM order_policy p
$$;

COMMENT ON FUNCTION order_auto_confirm_shipped_before(timestamptz) IS
    'orders shipped before this instant are due for the automatic confirmation on p_now''s Beijing date (order_auto_confirm_on(o) <= that date)';

-- 物流状态 -------------------------------------------------------------------

-- The shipment of GET /api/orders/{id} ("shipment"), kept in every state
-- after it (seed 002: an order in 待开票 shows its 物流状态):
--   express  courier, tracking number, the courier's tracking page, when
--            it left; received_at/by once the applicant (or the system)
--            confirmed; auto_confirm_on while shipped
--   pickup   the point from the submission on (pending_shipment: where to
--            fetch it), then when and by whom it was fetched, which is
--            also its receipt (received_by "shipper": staff handed it over)
-- NULL before anything is known (express before it is shipped).
CREATE OR REPLACE FUNCTION order_shipment_json(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT json_build_object(
            'method', x.method,
            'courier', sh.courier,
            'courier_name', c.name,
            'tracking_no', sh.tracking_no,
            'tracking_url', replace(c.tracking_url, '{no}', sh.tracking_no),
            'shipped_at', CASE WHEN x.method = 'express' THEN sh.recorded_at END,
            'pickup_point', CASE WHEN x.method = 'pickup' THEN (
                                SELECT json_build_object('code', pp.code, 'name', pp.name,
                                                         'address', pp.address, 'phone', pp.phone,
                                                         'hours', pp.hours)
                                FROM pickup_points pp WHERE pp.code = p_order.pickup_point) END,
            'picked_up_at', CASE WHEN x.method = 'pickup' THEN sh.recorded_at END,
            'picked_up_by', sh.picked_up_by,
            'received_at', CASE WHEN x.method = 'pickup' THEN sh.recorded_at ELSE r.created_at END,
            'received_by', CASE WHEN x.method = 'pickup' AND sh.order_id IS NOT NULL THEN 'shipper'
                                ELSE r.actor_kind END,
            'auto_confirm_on', order_auto_confirm_on(p_order))
        FROM (SELECT p_order.id) o
        LEFT JOIN order_shipments sh ON sh.order_id = o.id
        LEFT JOIN couriers c ON c.code = sh.courier
        -- the way out of shipped: 确认收货 or the automatic one
        LEFT JOIN LATERAL (SELECT e.created_at, e.actor_kind
                           FROM order_events e
                           WHERE e.order_id = o.id AND e.from_state = 'shipped'
                           ORDER BY e.id DESC LIMIT 1) r ON true
        CROSS JOIN LATERAL (SELECT coalesce(sh.method,
                                            CASE WHEN p_order.delivery_method = 'pickup'
                                                  AND p_order.state = 'pending_shipment'
                                                 THEN 'pickup' END) AS method) x
        WHERE x.method IS NOT NULL);
END
$$;

COMMENT ON FUNCTION order_shipment_json(orders) IS
    'the order''s 物流状态: method, courier, tracking_no, tracking_url, shipped_at, pickup_point, picked_up_at/by, received_at/by, auto_confirm_on; NULL before anything is known';

-- 确认收货 --------------------------------------------------------------------

-- POST /api/orders/{id}/confirm-receipt: the applicant has the key; the
-- e-invoice goes out from pending_invoice (seed 000)
CREATE OR REPLACE FUNCTION api.order_confirm_receipt(p_token text, p_csrf text, p_order_id text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
BEGIN
    IF o.state <> 'shipped' THEN
        PERFORM raise_api_error('CH409', 'order_not_shipped',
                                format('订单当前状态为“%s”，不能确认收货',
                                       order_state_label(o.state)));
    END IF;
    -- two statements: the JSON must see the event the transition wrote
    o := order_transition(o.id, 'pending_invoice', 'applicant', s.account_id);
    RETURN order_json(o);
END
$$;

COMMENT ON FUNCTION api.order_confirm_receipt(text, text, text) IS
    'POST /api/orders/{id}/confirm-receipt: 确认收货, shipped -> pending_invoice by the owner (CH404 another''s, CH409 order_not_shipped); returns the order JSON';

-- The automatic confirmation ----------------------------------------------------

-- One batch of `certhall-admin auto-confirm`, in one transaction: claims up
-- to p_limit due orders, oldest first, skipping rows another run holds
-- (FOR UPDATE SKIP LOCKED: several machines may run it at once, each order
-- moves once), and moves each in a subtransaction of its own, so that an
-- order that fails is reported and left as it was while the others move.
-- A run that dies midway rolls back its open batch: its orders are still
-- shipped and due, for the next run.  p_now lets tests cross Beijing
-- midnight; the command passes none.  p_skip: orders not to claim (the
-- command's failures so far, so that a batch full of orders that cannot
-- move never hides the ones behind them from the rest of the run).
DROP FUNCTION IF EXISTS admin.auto_confirm(integer, timestamptz);
CREATE OR REPLACE FUNCTION admin.auto_confirm(p_limit integer DEFAULT 100,
                                              p_now timestamptz DEFAULT now(),
                                              p_skip text[] DEFAULT '{}')
RETURNS TABLE (order_id text, outcome text, detail text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_id     text;
    v_reason text;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'admin.auto_confirm: p_limit must be positive, not %', p_limit;
    END IF;
    SELECT format('寄出满%s天未确认收货，系统自动确认', p.auto_confirm_days)
      INTO STRICT v_reason FROM order_policy p;

    FOR v_id IN
        SELECT o.id FROM orders o
        WHERE o.state = 'shipped'
          AND o.state_entered_at < order_auto_confirm_shipped_before(p_now)
          AND o.id <> ALL (coalesce(p_skip, '{}'))
        ORDER BY o.state_entered_at, o.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    LOOP
        order_id := v_id;
        BEGIN
            PERFORM order_transition(v_id, 'pending_invoice', 'system', NULL, v_reason);
            outcome := 'done';
            detail := NULL;
        EXCEPTION WHEN OTHERS THEN
            outcome := 'failed';
            detail := SQLERRM;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION admin.auto_confirm(integer, timestamptz, text[]) IS
    'one batch of the automatic confirmation of receipt: up to p_limit shipped orders due on p_now''s Beijing date (but those of p_skip), FOR UPDATE SKIP LOCKED, each moved to pending_invoice by the system in its own subtransaction; a row per order: done, or failed with the error';

-- The back office's 物流状态 of one order: the same facts as the order JSON
CREATE OR REPLACE FUNCTION admin.order_shipment(p_order_id text)
RETURNS TABLE (method text, courier_name text, tracking_no text, tracking_url text,
               shipped_at timestamptz, pickup_name text, pickup_address text,
               pickup_phone text, pickup_hours text, picked_up_at timestamptz,
               picked_up_by text, received_at timestamptz, received_by text,
               received_by_name text, auto_confirm_on date)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT j->>'method', j->>'courier_name', j->>'tracking_no', j->>'tracking_url',
           (j->>'shipped_at')::timestamptz,
           j->'pickup_point'->>'name', j->'pickup_point'->>'address',
           j->'pickup_point'->>'phone', j->'pickup_point'->>'hours',
           (j->>'picked_up_at')::timestamptz, j->>'picked_up_by',
           (j->>'received_at')::timestamptz, j->>'received_by',
           (SELECT ak.name FROM actor_kinds ak WHERE ak.code = j->>'received_by'),
           (j->>'auto_confirm_on')::date
    FROM (SELECT order_shipment_json(o) AS j FROM staff_order(p_order_id) o) s
    WHERE j IS NOT NULL
$$;

COMMENT ON FUNCTION admin.order_shipment(text) IS
    'the 物流状态 of one order for the back office (order_shipment_json as a row); no row before anything is known; CH404 order_not_found';
