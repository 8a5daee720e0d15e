-- The demo orders' 基本信息 and materials, as the applicant's submission
-- left them, for each demo order past 填写中 that has none yet (sql/demo.sql
-- makes the orders, their history and 开票信息).  scripts/run.sh
-- (demo_details) runs it in the session that filled
--   pg_temp.demo_ids    (order_id, masked, digest, sealed): the ID number
--                       of the legal representative 张三 as the module
--                       stores it for that order (build/bin/demo-files seal)
--   pg_temp.demo_scans  (kind, sha256, size_bytes, format, width, height,
--                       pages): a colour scan of each material, stored in
--                       the module's storage (build/bin/demo-files store)
-- The guards take 基本信息 and files only while an order is a draft or
-- rejected: inside this transaction the order is rejected (a submitted
-- order's editable state: a draft has no submission time), then back in its
-- state; nobody sees it between, and no event or message is written.
-- Every required material or none: an order lacking a scan of any of its
-- kinds is left as it is (no half order).
SET timezone = 'Asia/Shanghai';

DO $$
DECLARE
    o orders;
BEGIN
    FOR o IN
        SELECT x.* FROM orders x JOIN pg_temp.demo_ids d ON d.order_id = x.id
        WHERE x.state NOT IN ('draft', 'cancelled')
          AND NOT EXISTS (SELECT FROM order_info i WHERE i.order_id = x.id)
          AND NOT EXISTS (SELECT FROM project_service_materials psm
                          WHERE (psm.project_code, psm.service, psm.cert_type)
                                = (x.project_code, x.service, x.cert_type)
                            AND psm.required
                            AND psm.material_kind NOT IN (SELECT kind FROM pg_temp.demo_scans))
        ORDER BY x.id
    LOOP
        PERFORM set_config('certhall.transition_order', o.id, true);
        UPDATE orders SET state = 'rejected' WHERE id = o.id;

        INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name,
                                person_id_masked, person_id_digest, person_id_sealed,
                                mobile, email)
        SELECT o.id,
               CASE WHEN o.cert_type = 'org' THEN '湖南示例科技有限公司' END,
               CASE WHEN o.cert_type = 'org' THEN '91350100M000100Y43' END,
               CASE WHEN o.cert_type = 'org' THEN '张三' END,
               '张三', d.masked, d.digest, d.sealed, '13800138000', 'zhangsan@example.com'
        FROM pg_temp.demo_ids d WHERE d.order_id = o.id;

        -- uploaded before the submission, as the steps go
        INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,
                               original_name, account_id, uploaded_at)
        SELECT o.id, psm.material_kind, s.sha256, s.size_bytes, s.format, s.width, s.height,
               s.pages, mk.name || '.' || s.format, o.account_id,
               coalesce(o.submitted_at, o.created_at + interval '10 minutes') - interval '5 minutes'
        FROM project_service_materials psm
        JOIN material_kinds mk ON mk.code = psm.material_kind
        JOIN pg_temp.demo_scans s ON s.kind = psm.material_kind
        WHERE (psm.project_code, psm.service, psm.cert_type) = (o.project_code, o.service, o.cert_type)
          AND psm.required;

        UPDATE orders SET state = o.state WHERE id = o.id;
        PERFORM set_config('certhall.transition_order', '', true);
    END LOOP;
END
$$;
