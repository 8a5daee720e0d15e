-- Demo data for `make run`: accounts to try the hall with at once.  Run
-- after every migration by scripts/run.sh, so it only adds what is
-- missing.  The password of both is demo1234 (its PBKDF2 hash at 600,000
-- iterations, the module's default, computed once with Python's hashlib).
SET timezone = 'Asia/Shanghai';

INSERT INTO accounts (phone, password_hash, realname_status, realname_name,
                      realname_id_masked, realname_verified_at)
VALUES ('13800138000',
        '$pbkdf2-sha256$600000$p3Q/KBirIH8Z1Xb6/aHAjQ$Q6zVrg/Fon/2fOdpi9ysLnMHIif/iCmNW9i51/Vv6nc',
        'verified', '张三', '1101**********002X', now())
ON CONFLICT (phone) DO NOTHING;

INSERT INTO accounts (phone, password_hash)
VALUES ('13900139000',
        '$pbkdf2-sha256$600000$p3Q/KBirIH8Z1Xb6/aHAjQ$Q6zVrg/Fon/2fOdpi9ysLnMHIif/iCmNW9i51/Vv6nc')
ON CONFLICT (phone) DO NOTHING;

-- The verified applicant's certificates, one for each service to try at
-- once, their dates set again at every `make run` so they stay what they
-- say:
--   DE000000000001  湘潭 单位 expiring in 20 days: renew (延期), unlock
--   DE000000000002  国资云 单位, 730 days left, issued for an order of
--                     this hall: replace (补办), unlock
--   DE000000000003  湖南政府采购 个人, expired 2 months ago: renew
-- The order DE000000000002 was issued for: an order of two years ago,
-- brought in as it stands (its basic information and materials come with
-- sql/demo-details.sql: sealing needs the key nginx holds, which this
-- script never sees, and the files the storage), handed over at the counter
-- and waiting for its e-invoice (待开票): make run's first invoice-send
-- issues it from the tax platform's double and completes it, as for any
-- order (no order is 已完成 without its invoice).
DO $$
DECLARE
    v_account bigint := (SELECT id FROM accounts WHERE phone = '13800138000');
    v_order   text := 'UO202411201030150001';
    v_at      timestamptz := now() - interval '2 years';
    v_topay   text := 'UO202612070930000001';
    v_staff   bigint;
    v_ship    record;
    v_shipped  timestamptz;
    v_received timestamptz;
BEGIN
    IF NOT EXISTS (SELECT FROM orders WHERE id = v_order) THEN
        INSERT INTO orders (id, account_id, project_code, service, cert_type,
                            created_at, updated_at, state_entered_at)
        VALUES (v_order, v_account, 'guoziyun_ygcg', 'new', 'org', v_at, v_at, v_at);
        INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, created_at)
        VALUES (v_order, NULL, 'draft', 'applicant', v_account, v_at),
               (v_order, 'draft', 'pending_payment', 'applicant', v_account, v_at + interval '10 minutes'),
               (v_order, 'pending_payment', 'pending_review', 'payment', NULL, v_at + interval '12 minutes'),
               (v_order, 'pending_review', 'pending_shipment', 'reviewer', 1, v_at + interval '1 day'),
               (v_order, 'pending_shipment', 'pending_invoice', 'shipper', 1, v_at + interval '2 days');
        -- the state as its history left it: the guard lets this order's
        -- state change for this transaction only
        PERFORM set_config('certhall.transition_order', v_order, true);
        UPDATE orders
           SET state = 'pending_invoice', state_entered_at = v_at + interval '2 days',
               submitted_at = v_at + interval '10 minutes', amount_fen = 40000,
               agreed_at = v_at + interval '10 minutes',
               delivery_method = 'pickup', pickup_point = 'changsha'
         WHERE id = v_order;
        PERFORM set_config('certhall.transition_order', '', true);
    END IF;

    -- An order waiting for payment (待支付), to pay with Alipay on the
    -- gateway double of `make run`: 长沙 新办 单位 at the catalog's price,
    -- made once, as a submission would leave it.  Its basic information and
    -- materials come after (sql/demo-details.sql: the sealed ID number and
    -- the files need what nginx holds); so the submission's guard, which
    -- asks for them on draft -> pending_payment, is passed by way of
    -- pending_voucher -> pending_payment in this transaction, while the
    -- events tell the history as it reads.
    IF NOT EXISTS (SELECT FROM orders WHERE id = v_topay) THEN
        INSERT INTO orders (id, account_id, project_code, service, cert_type,
                            created_at, updated_at, state_entered_at)
        VALUES (v_topay, v_account, 'changsha_ggzy', 'new', 'org',
                now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour');
        INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, created_at)
        VALUES (v_topay, NULL, 'draft', 'applicant', v_account, now() - interval '1 hour'),
               (v_topay, 'draft', 'pending_payment', 'applicant', v_account, now() - interval '50 minutes');
        UPDATE orders
           SET agreed_at = now() - interval '50 minutes',
               delivery_method = 'pickup', pickup_point = 'changsha'
         WHERE id = v_topay;
        PERFORM set_config('certhall.transition_order', v_topay, true);
        UPDATE orders SET state = 'pending_voucher' WHERE id = v_topay;
        UPDATE orders
           SET state = 'pending_payment', state_entered_at = now() - interval '50 minutes',
               submitted_at = now() - interval '50 minutes',
               amount_fen = (SELECT price_fen FROM project_services
                             WHERE (project_code, service, cert_type) = ('changsha_ggzy', 'new', 'org'))
         WHERE id = v_topay;
        PERFORM set_config('certhall.transition_order', '', true);
    END IF;

    -- Two orders that have left the hall by courier, their history as the
    -- back office and the applicant would have made it, the state set as
    -- that history left it (as the completed order above):
    --   UO202612010930000002  湘潭 新办 单位, shipped by 顺丰 6 days ago:
    --                         待收货, to 确认收货 from the website
    --   UO202611150930000003  国资云 新办 单位, shipped by 圆通 20 days ago,
    --                         received 17 days ago: 待开票 (its 物流状态
    --                         still shown) until make run's invoice-send
    --                         issues its e-invoice: 已完成, 下载发票
    -- Their shipments name the member who recorded them: an inactive one
    -- of the demo data (run.sh makes the demo logins after this script, and
    -- lists them in the order made), whose password nobody knows.
    IF NOT EXISTS (SELECT FROM staff WHERE login = 'demo-shipper') THEN
        INSERT INTO staff (login, name, password_hash, active)
        VALUES ('demo-shipper', '演示数据发货员',
                '$pbkdf2-sha256$600000$' || md5(random()::text) || '$' || md5(random()::text),
                false);
        INSERT INTO staff_grants (staff_id, role)
        SELECT id, 'shipper' FROM staff WHERE login = 'demo-shipper';
    END IF;
    v_staff := (SELECT id FROM staff WHERE login = 'demo-shipper');

    FOR v_ship IN
        SELECT * FROM (VALUES
            ('UO202612010930000002', 'xiangtan_ggzy', 'sf', '顺丰速运', 'SF1419246087532', 6, NULL::integer),
            ('UO202611150930000003', 'guoziyun_ygcg', 'yto', '圆通速递', 'YT7512345678901', 20, 17))
          AS d (id, project, courier, courier_name, tracking_no, shipped_days, received_days)
    LOOP
        CONTINUE WHEN EXISTS (SELECT FROM orders WHERE id = v_ship.id);
        v_at := now() - make_interval(days => v_ship.shipped_days + 2);
        v_shipped := now() - make_interval(days => v_ship.shipped_days);
        v_received := now() - make_interval(days => v_ship.received_days);
        INSERT INTO orders (id, account_id, project_code, service, cert_type,
                            created_at, updated_at, state_entered_at)
        VALUES (v_ship.id, v_account, v_ship.project, 'new', 'org', v_at, v_at, v_at);
        INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, reason, created_at)
        VALUES (v_ship.id, NULL, 'draft', 'applicant', v_account, NULL, v_at),
               (v_ship.id, 'draft', 'pending_payment', 'applicant', v_account, NULL, v_at + interval '10 minutes'),
               (v_ship.id, 'pending_payment', 'pending_review', 'payment', NULL, NULL, v_at + interval '12 minutes'),
               (v_ship.id, 'pending_review', 'pending_shipment', 'reviewer', v_staff, NULL, v_at + interval '1 day'),
               (v_ship.id, 'pending_shipment', 'shipped', 'shipper', v_staff,
                v_ship.courier_name || ' ' || v_ship.tracking_no, v_shipped);
        IF v_ship.received_days IS NOT NULL THEN
            INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, created_at)
            VALUES (v_ship.id, 'shipped', 'pending_invoice', 'applicant', v_account, v_received);
        END IF;
        UPDATE orders
           SET agreed_at = v_at + interval '10 minutes', delivery_method = 'express',
               delivery_recipient = '张三', delivery_mobile = '13800138000',
               delivery_region = '湖南省长沙市岳麓区', delivery_detail = '麓谷大道627号',
               delivery_postal_code = '410205'
         WHERE id = v_ship.id;
        -- the shipment is written while the order waits for it; the
        -- guard of pending_shipment -> shipped would also ask for the
        -- certificate issued, which would join the three above: the state
        -- leaves pending_shipment by way of pending_review, where no guard
        -- looks, in this transaction
        PERFORM set_config('certhall.transition_order', v_ship.id, true);
        -- paid by Alipay as the events say: the attempt and the payment a
        -- verified notification leaves (the submission's guard is passed
        -- by way of pending_voucher, as for the order to pay above)
        UPDATE orders SET state = 'pending_voucher' WHERE id = v_ship.id;
        UPDATE orders
           SET state = 'pending_payment', submitted_at = v_at + interval '10 minutes',
               amount_fen = (SELECT price_fen FROM project_services
                             WHERE (project_code, service, cert_type) = (v_ship.project, 'new', 'org'))
         WHERE id = v_ship.id;
        INSERT INTO alipay_attempts (out_trade_no, order_id, attempt, channel, amount_fen, subject,
                                     created_at, expires_at)
        SELECT v_ship.id || '_1', o.id, 1, 'page', o.amount_fen,
               p.name || ' 单位证书-新办', v_at + interval '11 minutes', v_at + interval '41 minutes'
        FROM orders o JOIN projects p ON p.code = o.project_code WHERE o.id = v_ship.id;
        UPDATE alipay_attempts SET state = 'paid', trade_no = '2026' || right(v_ship.id, 16)
         WHERE out_trade_no = v_ship.id || '_1';
        INSERT INTO alipay_payments (trade_no, out_trade_no, order_id, amount_fen, buyer_logon_id,
                                     paid_at, recorded_at, source, raw, applied)
        SELECT a.trade_no, a.out_trade_no, a.order_id, a.amount_fen, 'zha***@example.com',
               v_at + interval '12 minutes', v_at + interval '12 minutes', 'notify',
               jsonb_build_object('trade_status', 'TRADE_SUCCESS', 'demo', true), true
        FROM alipay_attempts a WHERE a.out_trade_no = v_ship.id || '_1';
        UPDATE orders SET state = 'pending_shipment' WHERE id = v_ship.id;
        INSERT INTO order_shipments (order_id, method, courier, tracking_no, staff_id, recorded_at)
        VALUES (v_ship.id, 'express', v_ship.courier, v_ship.tracking_no, v_staff, v_shipped);
        UPDATE orders SET state = 'pending_review' WHERE id = v_ship.id;
        UPDATE orders
           SET state = CASE WHEN v_ship.received_days IS NULL THEN 'shipped' ELSE 'pending_invoice' END,
               state_entered_at = coalesce(v_received, v_shipped),
               submitted_at = v_at + interval '10 minutes',
               amount_fen = (SELECT price_fen FROM project_services
                             WHERE (project_code, service, cert_type) = (v_ship.project, 'new', 'org'))
         WHERE id = v_ship.id;
        PERFORM set_config('certhall.transition_order', '', true);
    END LOOP;

    INSERT INTO certificates (account_id, project_code, cert_type, serial, name,
                              valid_from, valid_to, order_id)
    VALUES (v_account, 'xiangtan_ggzy', 'org', 'DE000000000001', '湖南示例科技有限公司',
            now() + interval '20 days' - interval '1 year', now() + interval '20 days', NULL),
           (v_account, 'guoziyun_ygcg', 'org', 'DE000000000002', '湖南示例科技有限公司',
            now() + interval '730 days' - interval '2 years', now() + interval '730 days', v_order),
           (v_account, 'hunan_ccgp', 'personal', 'DE000000000003', '张三',
            now() - interval '2 months' - interval '1 year', now() - interval '2 months', NULL)
    ON CONFLICT (serial) DO UPDATE
       SET valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to;

    IF NOT EXISTS (SELECT FROM addresses WHERE account_id = v_account) THEN
        INSERT INTO addresses (account_id, recipient, mobile, region, detail, postal_code, is_default)
        VALUES (v_account, '张三', '13800138000', '湖南省长沙市岳麓区', '麓谷大道627号', '410205', true);
    END IF;
    IF NOT EXISTS (SELECT FROM invoice_titles WHERE account_id = v_account) THEN
        INSERT INTO invoice_titles (account_id, title_type, title, taxpayer_id, is_default)
        VALUES (v_account, 'org', '湖南示例科技有限公司', '91350100M000100Y43', true);
    END IF;
END
$$;

-- The demo orders' 开票信息 (the applicant's default 发票抬头, the invoice
-- e-mailed to zhangsan@example.com), as their submission would have left
-- it; and the orders waiting for their invoice (待开票) queued for it, as
-- order_transition() queues one entering pending_invoice (the history
-- above sets the state without it).  Also for a hall made before the
-- e-invoices, whose demo orders had no 开票信息: added while the order is
-- not completed and no invoice is on its way, as the applicant may.
DO $$
DECLARE
    v_order orders;
BEGIN
    FOR v_order IN
        SELECT o.* FROM orders o
        WHERE o.id IN ('UO202411201030150001', 'UO202612070930000001',
                       'UO202612010930000002', 'UO202611150930000003')
          AND o.state NOT IN ('completed', 'cancelled')
        ORDER BY o.id
    LOOP
        IF NOT EXISTS (SELECT FROM order_invoice WHERE order_id = v_order.id) THEN
            INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)
            SELECT v_order.id, t.title_type, t.title, t.taxpayer_id,
                   'zhangsan@example.com', '13800138000'
            FROM invoice_titles t
            WHERE t.account_id = v_order.account_id AND t.is_default;
        END IF;
        IF v_order.state = 'pending_invoice' THEN
            PERFORM invoice_on_pending(v_order);
        END IF;
    END LOOP;
END
$$;

-- A draft (填写中) begun yesterday and left there, as POST /api/orders
-- makes one (the 用户申请条款 agreed): 我的申请 lists it with everything it
-- still needs and its 继续填写 link; 我的订单 lists only submitted orders.
DO $$
DECLARE
    v_account bigint := (SELECT id FROM accounts WHERE phone = '13800138000');
    v_draft   text := 'UO202612060930000004';
BEGIN
    IF NOT EXISTS (SELECT FROM orders WHERE id = v_draft) THEN
        INSERT INTO orders (id, account_id, project_code, service, cert_type, created_at,
                            updated_at, state_entered_at, terms_version, terms_agreed_at)
        VALUES (v_draft, v_account, 'hunan_ccgp', 'new', 'org', now() - interval '1 day',
                now() - interval '1 day', now() - interval '1 day',
                (agreement_current('user_terms')).version, now() - interval '1 day');
        INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, created_at)
        VALUES (v_draft, NULL, 'draft', 'applicant', v_account, now() - interval '1 day');
    END IF;
END
$$;

-- what `make run` prints under "demo logins"
CREATE OR REPLACE FUNCTION demo_logins()
RETURNS TABLE (who text, phone text, password text, note text)
LANGUAGE sql STABLE
AS $$
    VALUES ('applicant', '13800138000', 'demo1234',
            '已实名认证 (张三): can apply at once; owns 3 certificates to renew, unlock, replace'),
           ('applicant', '13900139000', 'demo1234', '未实名认证: shows the real-name step')
$$;
COMMENT ON FUNCTION demo_logins() IS 'the demo logins make run prints';
