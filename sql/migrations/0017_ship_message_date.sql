-- The shipment's message names the day of the automatic confirmation
-- instead of "30天": the period is order_policy's (0014), so the text
-- takes the date order_transition() fills in for {auto_confirm_on}
-- (order_auto_confirm_on(), 38_receipt.sql), as the order page shows it.

-- the placeholders a transition's text may hold: 0003's check knew two
DO $$
DECLARE
    v_name text;
BEGIN
    SELECT c.conname INTO STRICT v_name
    FROM pg_constraint c
    WHERE c.conrelid = 'order_transitions'::regclass AND c.contype = 'c'
      AND pg_get_constraintdef(c.oid) LIKE '%order_id|reason%';
    EXECUTE format('ALTER TABLE order_transitions DROP CONSTRAINT %I', v_name);
END
$$;

ALTER TABLE order_transitions ADD CONSTRAINT order_transitions_placeholders
    CHECK (regexp_replace(message_title || message_body,
                          '\{(order_id|reason|auto_confirm_on)\}', '', 'g') !~ '[{}]');

UPDATE order_transitions
   SET message_body = '您的订单{order_id}的证书已寄出（快递：{reason}），收到证书并核对无误后请点击“确认收货”；未确认收货的，将于{auto_confirm_on}自动确认收货。'
 WHERE (from_state, to_state, actor_kind) = ('pending_shipment', 'shipped', 'shipper')
   AND message_body = '您的订单{order_id}的证书已寄出（快递：{reason}），收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。';
