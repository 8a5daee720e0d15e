-- Applicants' accounts: registration, password and code logins, sessions,
-- the account (api.me), password reset, and 实名认证 (real-name verification)
-- with the provider's callback.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- PL/pgSQL: every session_check() reads it, and as LANGUAGE sql (a FROM:
-- never inlined) it was planned again at every request
CREATE OR REPLACE FUNCTION auth_policy() RETURNS auth_policy
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    pol auth_policy;
BEGIN
    SELECT * INTO pol FROM auth_policy;
    RETURN pol;
END
$$;

-- A new session for the account: returns the session token and CSRF token
CREATE OR REPLACE FUNCTION session_start(p_account_id bigint, p_client inet, p_user_agent text,
                              OUT token text, OUT csrf text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    token := random_token();
    csrf := random_token();
    INSERT INTO sessions (token_hash, account_id, csrf_token, client_addr, user_agent)
    VALUES (token_hash(token), p_account_id, csrf, p_client, left(p_user_agent, 300));
END
$$;

-- The live session of p_token, refreshed.  Raises 401 when there is none
-- (unknown, ended, idle too long, too old), and 403 when p_write and the
-- CSRF token does not match the session's.
CREATE OR REPLACE FUNCTION session_check(p_token text, p_csrf text, p_write boolean)
RETURNS sessions
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol auth_policy := auth_policy();
    s   sessions;
BEGIN
    SELECT * INTO s FROM sessions WHERE token_hash = token_hash(p_token);
    IF NOT FOUND OR s.ended_at IS NOT NULL
       OR s.last_seen_at <= now() - pol.session_idle
       OR s.created_at <= now() - pol.session_lifetime
    THEN
        PERFORM raise_api_error('CH401', 'not_logged_in', '请先登录');
    END IF;

    IF p_write AND (p_csrf IS NULL OR p_csrf <> s.csrf_token) THEN
        PERFORM raise_api_error('CH403', 'csrf_failed', '页面已过期，请刷新页面后重试');
    END IF;

    -- a write a minute is enough to keep the idle time right
    IF s.last_seen_at < now() - interval '1 minute' THEN
        UPDATE sessions SET last_seen_at = now() WHERE id = s.id;
    END IF;
    RETURN s;
END
$$;

COMMENT ON FUNCTION session_check(text, text, boolean) IS 'the live session of a token (CH401 if none), with the CSRF check for writes (CH403)';

CREATE OR REPLACE FUNCTION me_json(p_account_id bigint, p_csrf text)
RETURNS json
LANGUAGE sql STABLE
AS $$
    SELECT json_build_object(
        'phone', phone_masked(a.phone),
        'realname', json_build_object(
            'status', a.realname_status,
            'name', a.realname_name,
            'id_number', a.realname_id_masked,
            'verified_at', a.realname_verified_at),
        'unread_messages', (SELECT count(*) FROM messages m
                            WHERE m.account_id = a.id AND m.read_at IS NULL),
        'applications_count', applications_count(a.id),
        'csrf_token', p_csrf)
    FROM accounts a WHERE a.id = p_account_id
$$;

-- the answer to a successful login: the account, and the new session
CREATE OR REPLACE FUNCTION session_answer(p_status integer, p_account_id bigint,
                               p_client inet, p_user_agent text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s record;
BEGIN
    s := session_start(p_account_id, p_client, p_user_agent);
    RETURN ROW(p_status, me_json(p_account_id, s.csrf), s.token, s.csrf, NULL)::api.answer;
END
$$;

-- GET /api/me
CREATE OR REPLACE FUNCTION api.me(p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
BEGIN
    RETURN me_json(s.account_id, s.csrf_token);
END
$$;

COMMENT ON FUNCTION api.me(text) IS 'GET /api/me: masked phone, real-name status, unread messages, applications (我的申请: drafts and rejected), the CSRF token';

-- DELETE /api/session: ends the session.  Without a live session there is
-- nothing to protect and the cookies are cleared all the same.
CREATE OR REPLACE FUNCTION api.session_end(p_token text, p_csrf text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions;
BEGIN
    BEGIN
        s := session_check(p_token, p_csrf, true);
    EXCEPTION WHEN SQLSTATE 'CH401' THEN
        RETURN ROW(200, json_build_object('status', 'logged_out'), '', NULL, NULL)::api.answer;
    END;
    UPDATE sessions SET ended_at = now(), ended_why = 'logout' WHERE id = s.id;
    RETURN ROW(200, json_build_object('status', 'logged_out'), '', NULL, NULL)::api.answer;
END
$$;

COMMENT ON FUNCTION api.session_end(text, text) IS 'DELETE /api/session: logout (the CSRF token is needed while the session lives)';

-- The lock on p_phone, if it is locked now
CREATE OR REPLACE FUNCTION login_locked_until(p_phone text) RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT locked_until FROM login_failures
    WHERE phone = p_phone AND locked_until > now()
$$;

-- POST /api/session with a password, first half: the hash to check the
-- password against (NULL for an unknown phone: the module then checks it
-- against a made-up hash, so both take the same time), or 423 if locked.
CREATE OR REPLACE FUNCTION api.login_password_begin(p_phone text,
                                         OUT status integer, OUT body json,
                                         OUT retry_after integer, OUT password_hash text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_until timestamptz := login_locked_until(p_phone);
BEGIN
    IF v_until IS NOT NULL THEN
        status := 423;
        body := api_error('account_locked', '密码错误次数过多，请15分钟后再试，或使用短信验证码登录');
        retry_after := seconds_until(v_until);
        RETURN;
    END IF;
    status := 0;
    SELECT a.password_hash INTO password_hash FROM accounts a WHERE a.phone = p_phone;
END
$$;

COMMENT ON FUNCTION api.login_password_begin(text) IS 'password login, step 1: 423 if locked, else the hash to check (NULL if none)';

-- Second half: p_ok says whether the password matched p_hash (the hash
-- step 1 gave).  A match logs in, unless the phone was locked or the
-- password changed meanwhile; anything else counts a failure, and the
-- last allowed failure locks the phone.  Unknown phone and wrong password
-- get the same answer.
CREATE OR REPLACE FUNCTION api.login_password_finish(p_phone text, p_hash text, p_ok boolean,
                                          p_client inet, p_user_agent text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol     auth_policy := auth_policy();
    v_id    bigint;
    v_until timestamptz;
    f       login_failures;
BEGIN
    SELECT id INTO v_id FROM accounts WHERE phone = p_phone AND password_hash = p_hash;

    -- lock the phone's row for the decision, made or not
    INSERT INTO login_failures (phone, failures) VALUES (p_phone, 0)
    ON CONFLICT (phone) DO UPDATE SET phone = excluded.phone
    RETURNING * INTO f;

    IF f.locked_until > now() THEN
        RETURN api_refusal(423, 'account_locked',
                           '密码错误次数过多，请15分钟后再试，或使用短信验证码登录',
                           NULL, seconds_until(f.locked_until));
    END IF;

    IF p_ok AND v_id IS NOT NULL THEN
        DELETE FROM login_failures WHERE phone = p_phone;
        RETURN session_answer(200, v_id, p_client, p_user_agent);
    END IF;

    -- an old lock that has run out starts the count again
    UPDATE login_failures
    SET failures = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failures + 1 END,
        last_failure_at = now(),
        locked_until = NULL
    WHERE phone = p_phone
    RETURNING * INTO f;

    IF f.failures >= pol.login_max_failures THEN
        v_until := now() + pol.login_lock;
        UPDATE login_failures SET locked_until = v_until WHERE phone = p_phone;
        RETURN api_refusal(423, 'account_locked',
                           '密码错误次数过多，请15分钟后再试，或使用短信验证码登录',
                           NULL, seconds_until(v_until));
    END IF;

    RETURN api_refusal(401, 'invalid_credentials', '手机号或密码错误');
END
$$;

COMMENT ON FUNCTION api.login_password_finish(text, text, boolean, inet, text) IS
    'password login, step 2: a session (200), or a counted failure (401, 423 at the limit)';

-- POST /api/session with an SMS code.  The password lock does not stop
-- it: the code proves the phone, and a stranger's wrong passwords must not
-- keep its owner out.
CREATE OR REPLACE FUNCTION api.login_code(p_phone text, p_code text, p_client inet, p_user_agent text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_id bigint;
    c    record;
BEGIN
    c := sms_code_check(p_phone, 'login', p_code);
    IF c.outcome <> 'ok' THEN
        RETURN sms_code_refusal(c.outcome, c.tries_left);
    END IF;
    SELECT id INTO v_id FROM accounts WHERE phone = p_phone;
    IF v_id IS NULL THEN
        -- codes for login are only sent to registered phones
        RETURN api_refusal(400, 'sms_code_expired', '验证码已失效，请重新获取', 'sms_code');
    END IF;
    UPDATE sms_codes SET redeemed_at = now() WHERE id = c.code_id;
    DELETE FROM login_failures WHERE phone = p_phone;
    RETURN session_answer(200, v_id, p_client, p_user_agent);
END
$$;

COMMENT ON FUNCTION api.login_code(text, text, inet, text) IS 'POST /api/session with phone + sms_code';

CREATE OR REPLACE FUNCTION api.register_finish(p_code_id bigint, p_phone text, p_password_hash text,
                                    p_client inet, p_user_agent text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM sms_code_redeem(p_code_id, p_phone, 'register');
    INSERT INTO accounts (phone, password_hash) VALUES (p_phone, p_password_hash)
    ON CONFLICT (phone) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        PERFORM raise_api_error('CH409', 'phone_taken', '该手机号已注册，请直接登录', 'phone');
    END IF;
    RETURN session_answer(201, v_id, p_client, p_user_agent);
END
$$;

COMMENT ON FUNCTION api.register_finish(bigint, text, text, inet, text) IS 'registration, step 2: the account and its first session (201)';

-- Step 2: the new password; every session of the account ends, the lock
-- is lifted, and this client is logged in afresh.
CREATE OR REPLACE FUNCTION api.password_reset_finish(p_code_id bigint, p_phone text, p_password_hash text,
                                          p_client inet, p_user_agent text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM sms_code_redeem(p_code_id, p_phone, 'reset');
    UPDATE accounts SET password_hash = p_password_hash WHERE phone = p_phone
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        PERFORM raise_api_error('CH404', 'account_not_found', '该手机号尚未注册', 'phone');
    END IF;
    UPDATE sessions SET ended_at = now(), ended_why = 'password_reset'
    WHERE account_id = v_id AND ended_at IS NULL;
    DELETE FROM login_failures WHERE phone = p_phone;
    RETURN session_answer(200, v_id, p_client, p_user_agent);
END
$$;

COMMENT ON FUNCTION api.password_reset_finish(bigint, text, text, inet, text) IS 'password reset, step 2: new hash, all sessions ended, a new one';

-- POST /api/me/realname: a new verification for the applicant.  The module
-- has checked the ID number and computed its mask and digest; it builds
-- the QR payload from the id and time returned.
CREATE OR REPLACE FUNCTION api.realname_start(p_token text, p_csrf text, p_name text,
                                   p_id_masked text, p_id_digest text,
                                   OUT request_id text, OUT created_epoch bigint,
                                   OUT expires_at timestamptz)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    a accounts;
BEGIN
    SELECT * INTO a FROM accounts WHERE id = s.account_id FOR UPDATE;
    IF a.realname_status = 'verified' THEN
        PERFORM raise_api_error('CH409', 'already_verified', '您已完成实名认证');
    END IF;

    -- a new start replaces an unfinished one
    UPDATE realname_requests r
    SET status = 'failed', reason = '已重新发起认证', finished_at = now()
    WHERE r.account_id = a.id AND r.status = 'pending';

    request_id := 'RN' || encode(gen_random_bytes(12), 'hex');
    expires_at := now() + (auth_policy()).realname_ttl;
    created_epoch := extract(epoch FROM now())::bigint;
    INSERT INTO realname_requests (id, account_id, name, id_masked, id_digest, expires_at)
    VALUES (request_id, a.id, p_name, p_id_masked, p_id_digest, expires_at);
    UPDATE accounts SET realname_status = 'pending' WHERE id = a.id;
END
$$;

COMMENT ON FUNCTION api.realname_start(text, text, text, text, text) IS
    'POST /api/me/realname: a pending verification (409 if already verified)';

-- GET /api/me/realname
CREATE OR REPLACE FUNCTION api.realname_status(p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
    a accounts;
    r realname_requests;
BEGIN
    SELECT * INTO STRICT a FROM accounts WHERE id = s.account_id;
    SELECT * INTO r FROM realname_requests
    WHERE account_id = a.id ORDER BY created_at DESC, id LIMIT 1;
    RETURN json_build_object(
        'status', a.realname_status,
        'name', coalesce(a.realname_name, r.name),
        'id_number', coalesce(a.realname_id_masked, r.id_masked),
        'verified_at', a.realname_verified_at,
        'request', CASE WHEN r.id IS NOT NULL THEN json_build_object(
            'id', r.id,
            'status', CASE WHEN r.status = 'pending' AND r.expires_at <= now()
                           THEN 'expired' ELSE r.status END,
            'reason', r.reason,
            'created_at', r.created_at,
            'expires_at', r.expires_at) END);
END
$$;

COMMENT ON FUNCTION api.realname_status(text) IS 'GET /api/me/realname: the account''s status and its latest verification';

-- POST /api/realname/callback, after the module has checked the signature
-- and the time: records the provider's result once.
CREATE OR REPLACE FUNCTION api.realname_callback(p_request_id text, p_result text, p_name text,
                                      p_id_digest text, p_id_masked text, p_reason text,
                                      p_nonce text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    r realname_requests;
BEGIN
    INSERT INTO realname_nonces (nonce) VALUES (p_nonce) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH409', 'replayed', 'callback already received', 'nonce');
    END IF;
    -- the module refuses callbacks older than 5 minutes: older nonces
    -- cannot come back
    DELETE FROM realname_nonces WHERE received_at < now() - interval '1 hour';

    SELECT * INTO r FROM realname_requests WHERE id = p_request_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'request_not_found', 'no such request', 'request_id');
    ELSIF r.status <> 'pending' THEN
        PERFORM raise_api_error('CH409', 'request_finished', 'request already finished', 'request_id');
    ELSIF r.expires_at <= now() THEN
        PERFORM raise_api_error('CH409', 'request_expired', 'request expired', 'request_id');
    END IF;

    IF p_result = 'pass' AND p_name = r.name AND p_id_digest = r.id_digest THEN
        UPDATE realname_requests SET status = 'verified', finished_at = now() WHERE id = r.id;
        UPDATE accounts
        SET realname_status = 'verified', realname_name = p_name,
            realname_id_masked = p_id_masked, realname_id_digest = p_id_digest,
            realname_verified_at = now()
        WHERE id = r.account_id;
    ELSE
        UPDATE realname_requests
        SET status = 'failed', finished_at = now(),
            reason = CASE WHEN p_result = 'pass' THEN '认证信息与填写的姓名或身份证号码不一致'
                          ELSE coalesce(nullif(btrim(p_reason), ''), '认证未通过') END
        WHERE id = r.id;
        UPDATE accounts SET realname_status = 'none'
        WHERE id = r.account_id AND realname_status = 'pending';
    END IF;
    RETURN json_build_object('result', 'ok');
END
$$;

COMMENT ON FUNCTION api.realname_callback(text, text, text, text, text, text, text) IS
    'POST /api/realname/callback: the provider''s result, once per nonce and per request';

-- POST /api/realname/callback: api.realname_callback() (0004) records the
-- result; when it verified the account, the sealed ID number is kept with
-- the request, in the same transaction.
CREATE OR REPLACE FUNCTION api.realname_callback_sealed(p_request_id text, p_result text, p_name text,
                                             p_id_digest text, p_id_masked text, p_reason text,
                                             p_nonce text, p_id_sealed text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_answer json := api.realname_callback(p_request_id, p_result, p_name, p_id_digest,
                                           p_id_masked, p_reason, p_nonce);
BEGIN
    IF p_id_sealed IS NOT NULL THEN
        UPDATE realname_requests SET id_sealed = p_id_sealed
        WHERE id = p_request_id AND status = 'verified';
    END IF;
    RETURN v_answer;
END
$$;

COMMENT ON FUNCTION api.realname_callback_sealed(text, text, text, text, text, text, text, text) IS
    'POST /api/realname/callback: api.realname_callback(), and the sealed ID number kept when the request verified the account';
