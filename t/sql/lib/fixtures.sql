-- Fixtures the SQL tests share (\ir lib/fixtures.sql): functions in
-- pg_temp, gone with the session.

-- a certificate of the account: valid for two years up to p_valid_to,
-- issued for p_order (an order of this hall) or for none
CREATE FUNCTION pg_temp.certificate(p_account bigint, p_project text, p_cert_type text,
                                    p_valid_to timestamptz DEFAULT now() + interval '10 days',
                                    p_order text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO certificates (account_id, project_code, cert_type, serial, name,
                              valid_from, valid_to, order_id)
    VALUES (p_account, p_project, p_cert_type,
            upper(substr(md5(random()::text || clock_timestamp()::text), 1, 16)),
            '测试单位', p_valid_to - interval '2 years', p_valid_to, p_order)
    RETURNING id
$$;

-- the statement that uploads, as api.material_put would, a file for each
-- material the order's offer requires that it has not got yet (fixed
-- sha256 values: the files need not exist for a submission): text, so
-- that a dblink session can run it too
CREATE FUNCTION pg_temp.materials_sql(p_order text)
RETURNS text
LANGUAGE sql AS $$
    SELECT format($q$
        INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,
                               original_name, account_id)
        SELECT o.id, psm.material_kind, encode(sha256(convert_to(psm.material_kind, 'UTF8')), 'hex'),
               204800, 'jpg', 1200, 800, 1, psm.material_kind || '.jpg', o.account_id
        FROM orders o
        JOIN project_service_materials psm USING (project_code, service, cert_type)
        WHERE o.id = %1$L AND psm.required
          AND NOT EXISTS (SELECT FROM materials m WHERE m.order_id = o.id
                          AND m.kind = psm.material_kind AND m.replaced_at IS NULL)$q$, p_order)
$$;

CREATE FUNCTION pg_temp.upload_required(p_order text)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE pg_temp.materials_sql(p_order);
    RETURN p_order;
END
$$;

-- one statement that fills in what a submission needs (information,
-- required materials, invoice, agreement, pickup) as the API would: text,
-- so that a dblink session can run it too
CREATE FUNCTION pg_temp.complete_sql(p_order text)
RETURNS text
LANGUAGE sql AS $$
    SELECT format($q$
        WITH materials AS (%2$s
        ), info AS (
            INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name,
                                    person_id_masked, person_id_digest, person_id_sealed,
                                    mobile, email)
            VALUES (%1$L, '测试单位', '91350100M000100Y43', '李四', '张三',
                    '1101**********002X', repeat('a', 64), 'v1.' || repeat('A', 60),
                    '13800138000', 'test@example.com')
        ), invoice AS (
            INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)
            VALUES (%1$L, 'org', '测试单位', '91350100M000100Y43', 'test@example.com', '13800138000')
        )
        UPDATE orders SET agreed_at = now(), delivery_method = 'pickup', pickup_point = 'changsha'
        WHERE id = %1$L RETURNING id$q$, p_order, pg_temp.materials_sql(p_order))
$$;

CREATE FUNCTION pg_temp.complete(p_order text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_id text;
BEGIN
    EXECUTE pg_temp.complete_sql(p_order) INTO v_id;
    RETURN v_id;
END
$$;

-- The back office (0007) records things before an order may move on: a
-- confirmed voucher before the approval, the issued certificate and the
-- shipment or pickup before the key leaves.  The suites that walk orders
-- through bare order_transition() call this before each step to give the
-- order what the step needs, as the back office would have.

-- a staff member for what the back office records (one per session)
CREATE FUNCTION pg_temp.fixture_staff()
RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO staff (login, name, password_hash)
    VALUES ('fixture', '测试员工', '$pbkdf2-sha256$1000$c2FsdA$a2V5')
    ON CONFLICT (login) DO UPDATE SET login = EXCLUDED.login
    RETURNING id
$$;

-- what the order needs for the transition to p_to_state from its state now
CREATE FUNCTION pg_temp.prepare(p_order text, p_to_state text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    o orders;
    v record;
BEGIN
    SELECT * INTO STRICT o FROM orders WHERE id = p_order;
    IF o.state = 'pending_review' AND p_to_state = 'pending_shipment' THEN
        v := order_voucher(o.id);
        IF v.material_id IS NOT NULL AND v.decision IS NULL THEN
            INSERT INTO voucher_reviews (order_id, material_id, decision, payer_name, amount_fen, staff_id)
            SELECT o.id, v.material_id, 'confirmed', coalesce(i.org_name, i.person_name), o.amount_fen,
                   pg_temp.fixture_staff()
            FROM order_info i WHERE i.order_id = o.id;
        END IF;
    ELSIF o.state = 'pending_shipment' AND p_to_state IN ('shipped', 'pending_invoice') THEN
        IF o.service <> 'unlock' AND NOT EXISTS (SELECT FROM certificates WHERE order_id = o.id) THEN
            INSERT INTO certificates (account_id, project_code, cert_type, serial, name,
                                      valid_from, valid_to, order_id)
            VALUES (o.account_id, o.project_code, o.cert_type,
                    upper(substr(md5(random()::text || clock_timestamp()::text), 1, 16)),
                    '测试单位', now(), now() + interval '1 year', o.id);
        END IF;
        INSERT INTO order_shipments (order_id, method, courier, tracking_no, staff_id)
        VALUES (o.id, CASE p_to_state WHEN 'shipped' THEN 'express' ELSE 'pickup' END,
                CASE p_to_state WHEN 'shipped' THEN 'sf' END,
                CASE p_to_state WHEN 'shipped' THEN 'SF1234567890' END,
                pg_temp.fixture_staff())
        ON CONFLICT (order_id) DO UPDATE
           SET method = EXCLUDED.method, courier = EXCLUDED.courier, tracking_no = EXCLUDED.tracking_no;
    END IF;
    RETURN p_order;
END
$$;

-- An order of p_account (xiangtan_ggzy, new, org, made p_created) complete
-- and walked to shipped by express as the hall would, through
-- order_transition(): where the receipt and the invoice commands' suites
-- start (t/tools/auto-confirm.t, t/tools/invoice-send.t).
CREATE FUNCTION pg_temp.shipped_order(p_order text, p_account bigint,
                                      p_created timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orders (id, account_id, project_code, service, cert_type, created_at)
    VALUES (p_order, p_account, 'xiangtan_ggzy', 'new', 'org', p_created);
    INSERT INTO order_events (order_id, to_state, actor_kind, actor_id, created_at)
    VALUES (p_order, 'draft', 'applicant', p_account, p_created);
    PERFORM pg_temp.complete(p_order);
    UPDATE orders SET delivery_method = 'express', delivery_recipient = '王五',
                      delivery_mobile = '13900000009', delivery_region = '湖南省长沙市岳麓区',
                      delivery_detail = '麓谷大道627号', pickup_point = NULL
     WHERE id = p_order;
    PERFORM order_transition(p_order, 'pending_payment', 'applicant', p_account);
    PERFORM order_transition(p_order, 'pending_review', 'payment', NULL);
    PERFORM order_transition(pg_temp.prepare(p_order, 'pending_shipment'), 'pending_shipment',
                             'reviewer', 7);
    PERFORM order_transition(pg_temp.prepare(p_order, 'shipped'), 'shipped', 'shipper', 7,
                             '顺丰速运 SF1234567890');
    RETURN p_order;
END
$$;
