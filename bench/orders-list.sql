-- make bench, part 2: my orders (api.orders) on 102,000 orders of 2,000
-- accounts, one of them with 2,050: the first page, a project filter, a
-- text search (trigram index), a deep page.  Not a test: psql's \timing
-- prints each statement's time.  Run inside t/bin/testenv (bench/run.sh
-- does), whose database is thrown away after.
INSERT INTO accounts (phone, realname_status, realname_name, realname_id_masked, realname_verified_at)
SELECT '138' || lpad(g::text, 8, '0'), 'verified', '测试', '1101**********002X', now() FROM generate_series(1, 2000) g;
-- 100,000 orders: 50 per account, the first account 2,000 more
INSERT INTO orders (id, account_id, project_code, service, cert_type, created_at, updated_at, state_entered_at)
SELECT 'UO' || lpad(g::text, 18, '0'), a.id, (ARRAY['xiangtan_ggzy','hunan_ccgp','guoziyun_ygcg'])[1 + g % 3], 'new', 'org',
       now() - make_interval(mins => g), now(), now()
FROM generate_series(1, 102000) g
JOIN accounts a ON a.phone = '138' || lpad((CASE WHEN g <= 100000 THEN 1 + g % 2000 ELSE 1 END)::text, 8, '0');
INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name, person_id_masked, person_id_digest, person_id_sealed, mobile, email)
SELECT id, '测试单位' || right(id, 6) || '有限公司', '91350100M000100Y43', '李四', '张三', '1101**********002X', md5(id) || md5(id || 'x'), 'v1.' || repeat('A', 60), '13800138000', 'a@example.com' FROM orders;
ANALYZE accounts; ANALYZE orders; ANALYZE order_info;
INSERT INTO sessions (token_hash, account_id, csrf_token) SELECT token_hash('BenchSessionxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'), id, 'BenchCsrfyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' FROM accounts WHERE phone = '13800000001';
\timing on
SELECT length(api.orders('BenchSessionxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 20)::text);
SELECT length(api.orders('BenchSessionxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 20)::text);
SELECT length(api.orders('BenchSessionxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', NULL, 'hunan_ccgp', NULL, NULL, NULL, NULL, NULL, 3, 20)::text);
SELECT length(api.orders('BenchSessionxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', NULL, NULL, NULL, '单位00012', NULL, NULL, NULL, 1, 20)::text);
SELECT length(api.orders('BenchSessionxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'draft', NULL, NULL, NULL, NULL, NULL, NULL, 50, 20)::text);
