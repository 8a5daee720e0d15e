-- bench/queue-mixed.sh and bench/pipeline.sh: an account with 200 orders
-- and a session (psql -v token=...), whose order UO221200000000000100 is
-- the expensive request, as its owner sees it.  Run inside t/bin/testenv,
-- whose database is thrown away after.
INSERT INTO accounts (phone, realname_status, realname_name, realname_id_masked, realname_verified_at)
VALUES ('13900000022', 'verified', '测试', '1101**********002X', now());
INSERT INTO orders (id, account_id, project_code, service, cert_type, created_at, updated_at, state_entered_at)
SELECT 'UO2212' || lpad(g::text, 14, '0'), a.id,
       (ARRAY['xiangtan_ggzy','hunan_ccgp','guoziyun_ygcg'])[1 + g % 3], 'new', 'org',
       now() - make_interval(mins => g), now(), now()
FROM generate_series(1, 200) g, accounts a WHERE a.phone = '13900000022';
INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name, person_id_masked, person_id_digest, person_id_sealed, mobile, email)
SELECT id, '测试单位' || right(id, 6) || '有限公司', '91350100M000100Y43', '李四', '张三', '1101**********002X',
       md5(id) || md5(id || 'x'), 'v1.' || repeat('A', 60), '13800138000', 'a@example.com'
FROM orders WHERE id LIKE 'UO2212%';
INSERT INTO sessions (token_hash, account_id, csrf_token)
SELECT token_hash(:'token'), id, 'BenchQueueCsrfyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' FROM accounts WHERE phone = '13900000022';
ANALYZE orders; ANALYZE order_info;
