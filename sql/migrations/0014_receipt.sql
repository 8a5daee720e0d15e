-- Schema v1, part 10: the key reaches the applicant (issue 17).
--
--   couriers.tracking_url   each courier's own tracking page, for the
--                           物流状态 of the order page and the back office
--   order_policy            the period after which a shipped order is
--                           taken as received (30 days, seed 000), one row
--
-- And the texts of the two ways out of shipped: 确认收货 by the applicant
-- (the e-invoice goes out now, seed 000) and the automatic confirmation.
--
-- The functions are in sql/functions/38_receipt.sql.

SET LOCAL timezone = 'Asia/Shanghai';

-- Tracking pages ---------------------------------------------------------------

-- {no} is replaced by the tracking number, which order_shipments keeps to
-- [A-Z0-9]{6,40}: nothing in it needs escaping in a URL.
ALTER TABLE couriers
    ADD COLUMN tracking_url text
        CHECK (tracking_url ~ '^https://[^[:space:]]*\{no\}[^[:space:]]*$');
COMMENT ON COLUMN couriers.tracking_url IS 'the courier''s own public tracking page, {no} replaced by the tracking number; NULL: no link (editable data: the companies move their pages)';

-- The companies' public waybill-query pages as of 2026.  They are data,
-- not code: when a company moves its page, UPDATE the row.
UPDATE couriers c
   SET tracking_url = u.url
  FROM (VALUES
    ('sf',    'https://www.sf-express.com/chn/sc/waybill/waybill-detail/{no}'),
    ('ems',   'https://www.ems.com.cn/queryList?mailNum={no}'),
    ('jd',    'https://www.jdl.com/orderSearch/?waybillCodes={no}'),
    ('yto',   'https://www.yto.net.cn/gw/service/waybillQuery.html?waybillNo={no}'),
    ('zto',   'https://www.zto.com/express/expressCheck.html?txtBill={no}'),
    ('sto',   'https://www.sto.cn/pc/service-page/waybill?waybillNo={no}'),
    ('yunda', 'https://www.yundaex.com/cn/chaxun.php?danhao={no}')
  ) AS u (code, url)
 WHERE c.code = u.code;

-- The rule of receipt ------------------------------------------------------------

CREATE TABLE order_policy (
    one                 boolean PRIMARY KEY DEFAULT true CHECK (one),
    auto_confirm_days   integer NOT NULL DEFAULT 30
                        CHECK (auto_confirm_days BETWEEN 1 AND 365)
);
COMMENT ON TABLE order_policy IS 'the rules of an order''s life that are configuration, not code (one row)';
COMMENT ON COLUMN order_policy.auto_confirm_days IS 'a shipped order not confirmed by the applicant is confirmed by the system this many Beijing calendar days after the day it was shipped (seed 000: 30 天)';

INSERT INTO order_policy DEFAULT VALUES;

-- The texts --------------------------------------------------------------------

-- 确认收货 is what makes the e-invoice go out (seed 000)
UPDATE order_transitions
   SET message_title = '已确认收货',
       message_body = '您已确认收到订单{order_id}的证书，电子发票将自动开出，开出后可在“我的订单”中查看订单并下载发票。'
 WHERE (from_state, to_state, actor_kind) = ('shipped', 'pending_invoice', 'applicant');

-- the period is order_policy's, so neither text names a number; the event's
-- reason does ('寄出满30天未确认收货，系统自动确认')
UPDATE order_transitions
   SET action_name = '自动确认收货',
       message_title = '已自动确认收货',
       message_body = '您的订单{order_id}的证书寄出后未确认收货，已到自动确认收货的日期，系统已自动确认收货，电子发票将自动开出。'
 WHERE (from_state, to_state, actor_kind) = ('shipped', 'pending_invoice', 'system');
