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

-- what `make run` prints under "demo logins"
CREATE OR REPLACE FUNCTION demo_logins()
RETURNS TABLE (who text, phone text, password text, note text)
LANGUAGE sql STABLE
AS $$
    VALUES ('applicant', '13800138000', 'demo1234', '已实名认证 (张三): can apply at once'),
           ('applicant', '13900139000', 'demo1234', '未实名认证: shows the real-name step')
$$;
COMMENT ON FUNCTION demo_logins() IS 'the demo logins make run prints';
