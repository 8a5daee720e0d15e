-- Schema v1, part 11: what the applicant's lists say (issue #13).
--
--   material_kinds.sample_path    查看示例: an example of each material
--   order_materials_json()        carries it as "sample_url"
--   order_state_applicant_name()  资料待审核 for pending_review, as seed 000
--   api.orders()                  q finds an order by its id, whole or part
--   admin.order_timeline()        tells the transition of each event, so the
--                                 back office labels its note (快递：, 原因：)
--
-- The back office keeps the staff's names of the states (order_states.name,
-- order_state_name()): 资料待审核 is the applicant's wording only.

SET LOCAL timezone = 'Asia/Shanghai';

-- 查看示例 ------------------------------------------------------------------

ALTER TABLE material_kinds
    ADD COLUMN sample_path text
        CHECK (sample_path ~ '^/samples/[a-z0-9][a-z0-9-]*\.svg$');
COMMENT ON COLUMN material_kinds.sample_path IS
    '查看示例: the website''s path of an example of this material (www/samples/, watermarked 示例, no real person''s data); NULL: none';

UPDATE material_kinds mk
   SET sample_path = s.path
  FROM (VALUES
    ('application_form',      '/samples/application-form.svg'),
    ('replacement_form',      '/samples/replacement-form.svg'),
    ('responsibility_letter', '/samples/responsibility-letter.svg'),
    ('legal_id_front',        '/samples/id-front.svg'),
    ('legal_id_back',         '/samples/id-back.svg'),
    ('id_front',              '/samples/id-front.svg'),
    ('id_back',               '/samples/id-back.svg'),
    ('business_license',      '/samples/business-license.svg'),
    ('eseal_form',            '/samples/eseal-form.svg'),
    ('transfer_voucher',      '/samples/transfer-voucher.svg')
  ) AS s (code, path)
 WHERE mk.code = s.code;

-- As in 0006, and "sample_url": the example to show beside the material
-- (null when the kind has none)
CREATE OR REPLACE FUNCTION order_materials_json(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(json_build_object(
               'kind', mk.code,
               'kind_name', mk.name,
               'note', mk.note,
               'hint', mk.hint,
               'required', psm.required,
               'formats', mk.formats,
               'max_bytes', mk.max_bytes,
               'sample_url', mk.sample_path,
               'file', material_json(m))
             ORDER BY mk.sort_order), '[]'::json)
    FROM project_service_materials psm
    JOIN material_kinds mk ON mk.code = psm.material_kind
    LEFT JOIN materials m ON m.order_id = p_order.id AND m.kind = psm.material_kind
                         AND m.replaced_at IS NULL
    WHERE psm.project_code = p_order.project_code AND psm.service = p_order.service
      AND psm.cert_type = p_order.cert_type
$$;
COMMENT ON FUNCTION order_materials_json(orders) IS 'the materials the order''s offer asks for, in order, with their rules, their example (sample_url) and current file (or null)';

-- 资料待审核 ------------------------------------------------------------------

-- the state as the applicant's pages say it: seed 000's 资料待审核 for
-- pending_review, and order_state_name()'s 待自取 for a pickup
CREATE FUNCTION order_state_applicant_name(p_name text, p_state text, p_delivery text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_state = 'pending_review' THEN '资料待审核'
            ELSE order_state_name(p_name, p_state, p_delivery) END;
COMMENT ON FUNCTION order_state_applicant_name(text, text, text) IS
    'a state as the applicant sees it (资料待审核, 待自取); the back office keeps order_state_name()';

-- the message on entering pending_review names the state as the list does
UPDATE order_states
   SET message_title = '资料待审核'
 WHERE code = 'pending_review' AND message_title = '订单待审核';

-- the shipment's message says what its note is, as the timeline does
UPDATE order_transitions
   SET message_body = '您的订单{order_id}的证书已寄出（快递：{reason}），收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。'
 WHERE (from_state, to_state, actor_kind) = ('pending_shipment', 'shipped', 'shipper')
   AND message_body = '您的订单{order_id}的证书已寄出（{reason}），收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。';

-- 我的订单 --------------------------------------------------------------------

-- As in 0005, and: p_q also matches the order id, whole or a part of it
-- (UO2024…, case ignored); the rows' state_name is the applicant's
-- (资料待审核).
CREATE OR REPLACE FUNCTION api.orders(p_token text, p_state text, p_project text, p_service text,
                                      p_q text, p_q_digest text, p_from date, p_to date,
                                      p_page integer, p_per_page integer)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       sessions := session_check(p_token, NULL, false);
    v_page  integer := greatest(coalesce(p_page, 1), 1);
    v_per   integer := least(greatest(coalesce(p_per_page, 20), 1), 100);
    v_like  text := '%' || like_escape(p_q) || '%';
    v_rows  json;
    v_total bigint;
BEGIN
    WITH found AS (
        SELECT o.*, i.org_name, i.person_name, i.uscc, i.person_id_masked,
               c.name AS cert_name
        FROM orders o
        LEFT JOIN order_info i ON i.order_id = o.id
        LEFT JOIN certificates c ON c.id = o.certificate_id
        WHERE o.account_id = s.account_id
          AND (p_state IS NULL OR o.state = p_state)
          AND (p_project IS NULL OR o.project_code = p_project)
          AND (p_service IS NULL OR o.service = p_service)
          AND (p_from IS NULL OR o.submitted_at >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND (p_to IS NULL OR o.submitted_at < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
          AND (p_q IS NULL
               OR o.id ILIKE v_like
               OR coalesce(i.org_name || ' ', '') || i.person_name ILIKE v_like
               OR c.name ILIKE v_like
               OR i.uscc = upper(p_q)
               OR i.person_id_digest = p_q_digest)
    ), page AS (
        SELECT f.*
        FROM found f
        ORDER BY f.created_at DESC, f.id DESC
        LIMIT v_per OFFSET (v_page - 1)::bigint * v_per
    )
    -- the total from the same rows, so a page past the end still tells it
    SELECT (SELECT json_agg(json_build_object(
                        'id', pg.id,
                        'project', pg.project_code, 'project_name', p.name,
                        'service', pg.service, 'service_name', sv.name,
                        'cert_type', pg.cert_type, 'cert_type_name', ct.name,
                        'business', p.name || ' ' || ct.name || '-' || sv.short_name,
                        'name', coalesce(pg.org_name, pg.person_name, pg.cert_name),
                        'id_number', coalesce(pg.uscc, pg.person_id_masked),
                        'created_at', pg.created_at, 'submitted_at', pg.submitted_at,
                        'state', pg.state,
                        'state_name', order_state_applicant_name(st.name, pg.state, pg.delivery_method),
                        'invoice_state', order_invoice_state(o),
                        'invoice_state_name', invoice_state_name(order_invoice_state(o)),
                        'amount_fen', pg.amount_fen)
                      ORDER BY pg.created_at DESC, pg.id DESC)
            FROM page pg
            JOIN orders o ON o.id = pg.id
            JOIN projects p ON p.code = pg.project_code
            JOIN services sv ON sv.code = pg.service
            JOIN cert_types ct ON ct.code = pg.cert_type
            JOIN order_states st ON st.code = pg.state),
           (SELECT count(*) FROM found)
      INTO v_rows, v_total;

    RETURN json_build_object('orders', coalesce(v_rows, '[]'::json),
                             'page', v_page, 'per_page', v_per, 'total', v_total);
END
$$;
COMMENT ON FUNCTION api.orders(text, text, text, text, text, text, date, date, integer, integer) IS
    'GET /api/orders: my orders filtered by state, project, service, text (order id, names, USCC, ID number), submission dates; paged, newest first';

-- The back office's timeline: as in 0007, and the transition's action
-- (ship, pick_up, reject ...), so that page_order.c labels the event's
-- note by it (快递：顺丰速运 SF…, 原因：…) instead of by guessing.  The
-- columns grow, so the function is made anew.
DROP FUNCTION admin.order_timeline(text);
CREATE FUNCTION admin.order_timeline(p_order_id text)
RETURNS TABLE (at timestamptz, from_name text, to_name text, action_name text,
               actor_name text, staff_name text, reason text, action text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT e.created_at, fs.name, ts.name, coalesce(t.action_name, '创建订单'), ak.name,
               CASE WHEN e.actor_kind IN ('reviewer', 'finance', 'shipper') THEN s.name END,
               e.reason, coalesce(t.action, 'create')
        FROM staff_order(p_order_id) o
        JOIN order_events e ON e.order_id = o.id
        JOIN order_states ts ON ts.code = e.to_state
        JOIN actor_kinds ak ON ak.code = e.actor_kind
        LEFT JOIN order_states fs ON fs.code = e.from_state
        LEFT JOIN order_transitions t
               ON (t.from_state, t.to_state, t.actor_kind) = (e.from_state, e.to_state, e.actor_kind)
        LEFT JOIN staff s ON s.id = e.actor_id AND e.actor_kind IN ('reviewer', 'finance', 'shipper')
        ORDER BY e.id;
END
$$;
COMMENT ON FUNCTION admin.order_timeline(text) IS 'the order''s events in order, with the staff member''s name for staff events and the transition''s action (create for the first); CH404';
