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

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

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

-- the message on entering pending_review names the state as the list does
UPDATE order_states
   SET message_title = '资料待审核'
 WHERE code = 'pending_review' AND message_title = '订单待审核';

-- the shipment's message says what its note is, as the timeline does
UPDATE order_transitions
   SET message_body = '您的订单{order_id}的证书已寄出（快递：{reason}），收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。'
 WHERE (from_state, to_state, actor_kind) = ('pending_shipment', 'shipped', 'shipper')
   AND message_body = '您的订单{order_id}的证书已寄出（{reason}），收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。';
