-- Schema v2: what accounts need to get in and prove who they are.
--
--   auth_policy        the limits below, one row, changeable without a
--                      migration
--   sms_requests       every request for a code (for the rate limits)
--   sms_codes          the codes, hashed, with their tries and end
--   sms_outbox         the texts the SMS sender posts to the gateway
--   login_failures     failed password logins per phone, and the lock
--   sessions           the server side of the certhall_session cookie
--   realname_requests  real-name verifications started by applicants
--   realname_nonces    the nonces of the provider's callbacks (replays)
--
-- The api.* functions here answer with an api.answer row instead of
-- raising where a refusal must still be written down (a wrong code counts
-- a try, a wrong password counts a failure): an exception would undo that.
-- Refusals that change nothing still raise through raise_api_error().
--
-- Secrets never come here in the clear: the session and CSRF tokens and
-- the SMS codes are stored as hashes; the ID number arrives as its mask and
-- a keyed digest the module computes with the real-name secret.

SET LOCAL timezone = 'Asia/Shanghai';

-- gen_random_bytes() (the server's cryptographic random source) and hmac();
-- a trusted extension, so the database owner may create it
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- The policy ----------------------------------------------------------------

CREATE TABLE auth_policy (
    one                     boolean PRIMARY KEY DEFAULT true CHECK (one),
    sms_code_ttl            interval NOT NULL DEFAULT '5 minutes'
                            CHECK (sms_code_ttl > '0'),
    sms_code_max_tries      integer NOT NULL DEFAULT 5 CHECK (sms_code_max_tries > 0),
    sms_resend_interval     interval NOT NULL DEFAULT '60 seconds',
    sms_per_phone_hour      integer NOT NULL DEFAULT 5 CHECK (sms_per_phone_hour > 0),
    sms_per_address_hour    integer NOT NULL DEFAULT 20 CHECK (sms_per_address_hour > 0),
    -- a checked code must be redeemed (account created, password set)
    -- this soon: the password hash is computed in between
    sms_redeem_window       interval NOT NULL DEFAULT '5 minutes',
    login_max_failures      integer NOT NULL DEFAULT 5 CHECK (login_max_failures > 0),
    login_lock              interval NOT NULL DEFAULT '15 minutes',
    session_idle            interval NOT NULL DEFAULT '30 minutes'
                            CHECK (session_idle > '0'),
    session_lifetime        interval NOT NULL DEFAULT '12 hours'
                            CHECK (session_lifetime > '0'),
    realname_ttl            interval NOT NULL DEFAULT '10 minutes'
                            CHECK (realname_ttl > '0')
);
COMMENT ON TABLE auth_policy IS 'the limits of codes, logins, sessions and real-name verification (one row)';
COMMENT ON COLUMN auth_policy.sms_resend_interval IS 'at most one code per phone this often';
COMMENT ON COLUMN auth_policy.sms_per_phone_hour IS 'codes per phone in any hour';
COMMENT ON COLUMN auth_policy.sms_per_address_hour IS 'code requests per client address in any hour, refused ones included';
COMMENT ON COLUMN auth_policy.login_max_failures IS 'wrong passwords in a row that lock the phone for login_lock';
COMMENT ON COLUMN auth_policy.session_idle IS 'a session unused this long is over';
COMMENT ON COLUMN auth_policy.session_lifetime IS 'a session is over this long after login, used or not';
INSERT INTO auth_policy DEFAULT VALUES;

CREATE FUNCTION auth_policy() RETURNS auth_policy
LANGUAGE sql STABLE
AS $$ SELECT * FROM auth_policy $$;

-- Answers -------------------------------------------------------------------

-- What an api.* function that decides the HTTP answer itself returns; the
-- module reads the columns by name:
--   status       the HTTP status
--   body         the JSON body, sent as is
--   session      NULL: cookies unchanged; '': end them; else the new
--                session token for the certhall_session cookie
--   csrf         with a new session: the token for the certhall_csrf cookie
--   retry_after  seconds, for a Retry-After header (429, 423)
CREATE TYPE api.answer AS (
    status      integer,
    body        json,
    session     text,
    csrf        text,
    retry_after integer
);
COMMENT ON TYPE api.answer IS 'an HTTP answer decided by the database: status, JSON body, cookies, Retry-After';

CREATE FUNCTION api_error(p_code text, p_message text, p_field text DEFAULT NULL)
RETURNS json
LANGUAGE sql IMMUTABLE
AS $$
    -- written out rather than json_build_object(), so that it reads byte
    -- for byte like the errors the module writes itself
    SELECT format('{"error":{"code":%s,%s"message":%s}}',
                  to_json(p_code),
                  CASE WHEN p_field IS NULL THEN ''
                       ELSE format('"field":%s,', to_json(p_field)) END,
                  to_json(p_message))::json
$$;
COMMENT ON FUNCTION api_error(text, text, text) IS 'the API error object, as raise_api_error() makes the module send it';

CREATE FUNCTION api_refusal(p_status integer, p_code text, p_message text,
                            p_field text DEFAULT NULL, p_retry_after integer DEFAULT NULL)
RETURNS api.answer
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ROW(p_status, api_error(p_code, p_message, p_field), NULL, NULL, p_retry_after)::api.answer
$$;

-- seconds until p_at, rounded up, at least 1
CREATE FUNCTION seconds_until(p_at timestamptz) RETURNS integer
LANGUAGE sql STABLE
AS $$ SELECT greatest(1, ceil(extract(epoch FROM p_at - now())))::integer $$;

-- 32 random bytes as base64url without padding: 43 characters
CREATE FUNCTION random_token() RETURNS text
LANGUAGE sql VOLATILE
AS $$ SELECT rtrim(translate(encode(gen_random_bytes(32), 'base64'), '+/', '-_'), '=') $$;

CREATE FUNCTION token_hash(p_token text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT sha256(convert_to(p_token, 'UTF8')) $$;

-- 138****0001
CREATE FUNCTION phone_masked(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT left(p_phone, 3) || '****' || right(p_phone, 4) $$;

-- SMS codes -----------------------------------------------------------------

CREATE TABLE sms_requests (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone       text NOT NULL,
    purpose     text NOT NULL,
    client_addr inet NOT NULL,
    sent        boolean NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sms_requests IS 'every POST /api/sms-codes that passed validation, for the rate limits; sent = a code went out';
CREATE INDEX sms_requests_phone_idx ON sms_requests (phone, created_at) WHERE sent;
CREATE INDEX sms_requests_addr_idx ON sms_requests (client_addr, created_at);

CREATE TABLE sms_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone       text NOT NULL CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    purpose     text NOT NULL CHECK (purpose IN ('register', 'login', 'reset')),
    salt        bytea NOT NULL CHECK (length(salt) = 16),
    code_hash   bytea NOT NULL CHECK (length(code_hash) = 32),
    tries       integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    -- why it can no longer be used: right code given, a newer code for the
    -- same phone and purpose, too many wrong tries
    ended_at    timestamptz,
    ended_why   text CHECK (ended_why IN ('used', 'superseded', 'tries')),
    -- a used code is redeemed once: the account it created or reset
    redeemed_at timestamptz,
    CHECK ((ended_at IS NULL) = (ended_why IS NULL)),
    CHECK (redeemed_at IS NULL OR ended_why = 'used')
);
COMMENT ON TABLE sms_codes IS 'SMS verification codes: HMAC-SHA256 of the 6 digits under a per-code salt, never the digits';
CREATE INDEX sms_codes_live_idx ON sms_codes (phone, purpose, id) WHERE ended_at IS NULL;

CREATE TABLE sms_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone           text NOT NULL CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    -- the text to send; NULL once it is sent or given up, so that no code
    -- stays readable in the database longer than it must
    content         text CHECK (content <> ''),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- not worth sending after this (the code has expired)
    send_before     timestamptz NOT NULL,
    -- a sender has it until then; another may take it after
    claimed_until   timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    gateway_id      text,
    last_error      text,
    CHECK ((status = 'pending') = (content IS NOT NULL)),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
COMMENT ON TABLE sms_outbox IS 'texts for the SMS gateway; certhall-admin sms-send posts them';
CREATE INDEX sms_outbox_pending_idx ON sms_outbox (next_attempt_at, id) WHERE status = 'pending';

-- a uniform 6-digit code: 4 random bytes, redrawn above the largest
-- multiple of 10^6, so every code is equally likely
CREATE FUNCTION sms_code_random() RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    n bigint;
BEGIN
    LOOP
        -- bit(32) to bigint is unsigned: 0 .. 4294967295
        n := ('x' || encode(gen_random_bytes(4), 'hex'))::bit(32)::bigint;
        EXIT WHEN n < 4294000000;
    END LOOP;
    RETURN lpad((n % 1000000)::text, 6, '0');
END
$$;

CREATE FUNCTION sms_purpose_name(p_purpose text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE p_purpose WHEN 'register' THEN '注册'
                          WHEN 'login' THEN '登录'
                          WHEN 'reset' THEN '重置密码' END
$$;

-- POST /api/sms-codes: a new code for phone and purpose, if the limits
-- allow.  The phone is already checked and normalised by the module.
CREATE FUNCTION api.sms_code_request(p_phone text, p_purpose text, p_client inet)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol     auth_policy := auth_policy();
    v_last  timestamptz;
    v_n     integer;
    v_first timestamptz;
    v_code  text;
    v_salt  bytea;
    v_ttl   integer;
BEGIN
    IF p_purpose IS NULL OR p_purpose NOT IN ('register', 'login', 'reset') THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '验证码用途不正确', 'purpose');
    END IF;

    -- one request per phone, then per address, at a time: the counts below
    -- hold until commit (always in this order, so two never deadlock)
    PERFORM pg_advisory_xact_lock(hashtextextended('sms phone ' || p_phone, 0));
    PERFORM pg_advisory_xact_lock(hashtextextended('sms addr ' || host(p_client), 0));

    SELECT count(*), min(created_at) INTO v_n, v_first
    FROM sms_requests
    WHERE client_addr = p_client AND created_at > now() - interval '1 hour';
    IF v_n >= pol.sms_per_address_hour THEN
        RETURN api_refusal(429, 'too_many_requests', '获取验证码过于频繁，请稍后再试',
                           NULL, seconds_until(v_first + interval '1 hour'));
    END IF;

    SELECT max(created_at) INTO v_last
    FROM sms_requests WHERE phone = p_phone AND sent;
    IF v_last > now() - pol.sms_resend_interval THEN
        RETURN api_refusal(429, 'too_many_requests', '验证码已发送，请稍后再获取',
                           NULL, seconds_until(v_last + pol.sms_resend_interval));
    END IF;

    SELECT count(*), min(created_at) INTO v_n, v_first
    FROM sms_requests
    WHERE phone = p_phone AND sent AND created_at > now() - interval '1 hour';
    IF v_n >= pol.sms_per_phone_hour THEN
        RETURN api_refusal(429, 'too_many_requests', '该手机号获取验证码次数过多，请稍后再试',
                           NULL, seconds_until(v_first + interval '1 hour'));
    END IF;

    -- a refusal by the account's existence counts against the address,
    -- so that the answer cannot be used to sift phone numbers quickly
    PERFORM FROM accounts WHERE phone = p_phone;
    IF FOUND AND p_purpose = 'register' THEN
        INSERT INTO sms_requests (phone, purpose, client_addr, sent)
        VALUES (p_phone, p_purpose, p_client, false);
        RETURN api_refusal(409, 'phone_taken', '该手机号已注册，请直接登录', 'phone');
    ELSIF NOT FOUND AND p_purpose <> 'register' THEN
        INSERT INTO sms_requests (phone, purpose, client_addr, sent)
        VALUES (p_phone, p_purpose, p_client, false);
        RETURN api_refusal(404, 'account_not_found', '该手机号尚未注册', 'phone');
    END IF;

    UPDATE sms_codes SET ended_at = now(), ended_why = 'superseded'
    WHERE phone = p_phone AND purpose = p_purpose AND ended_at IS NULL;

    v_code := sms_code_random();
    v_salt := gen_random_bytes(16);
    INSERT INTO sms_codes (phone, purpose, salt, code_hash, expires_at)
    VALUES (p_phone, p_purpose, v_salt, hmac(convert_to(v_code, 'UTF8'), v_salt, 'sha256'),
            now() + pol.sms_code_ttl);

    v_ttl := ceil(extract(epoch FROM pol.sms_code_ttl) / 60)::integer;
    INSERT INTO sms_outbox (phone, content, send_before)
    VALUES (p_phone,
            format('【在线服务厅】您的%s验证码为%s，%s分钟内有效。如非本人操作，请忽略本短信。',
                   sms_purpose_name(p_purpose), v_code, v_ttl),
            now() + pol.sms_code_ttl);

    INSERT INTO sms_requests (phone, purpose, client_addr, sent)
    VALUES (p_phone, p_purpose, p_client, true);

    -- requests older than a day count for nothing any more
    DELETE FROM sms_requests WHERE created_at < now() - interval '1 day';

    RETURN ROW(200, json_build_object(
                   'phone', phone_masked(p_phone),
                   'purpose', p_purpose,
                   'expires_in', extract(epoch FROM pol.sms_code_ttl)::integer,
                   'resend_in', extract(epoch FROM pol.sms_resend_interval)::integer),
               NULL, NULL, NULL)::api.answer;
END
$$;
COMMENT ON FUNCTION api.sms_code_request(text, text, inet) IS
    'POST /api/sms-codes: rate limits (429 + Retry-After), account check (409/404), then a new code to the outbox';

-- Checks p_code against the live code for phone and purpose.  A wrong code
-- counts a try, and the last allowed wrong try ends the code.  The result
-- is written in any case; the caller must not raise afterwards.
--   outcome: ok (code_id is the code, now used), wrong, expired (or none)
CREATE FUNCTION sms_code_check(p_phone text, p_purpose text, p_code text,
                               OUT outcome text, OUT code_id bigint, OUT tries_left integer)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol auth_policy := auth_policy();
    c   sms_codes;
BEGIN
    SELECT * INTO c FROM sms_codes
    WHERE phone = p_phone AND purpose = p_purpose AND ended_at IS NULL
    ORDER BY id DESC LIMIT 1
    FOR UPDATE;

    IF NOT FOUND OR c.expires_at <= now() THEN
        outcome := 'expired';
        RETURN;
    END IF;

    IF p_code IS NOT NULL
       AND hmac(convert_to(p_code, 'UTF8'), c.salt, 'sha256') = c.code_hash
    THEN
        UPDATE sms_codes SET ended_at = now(), ended_why = 'used' WHERE id = c.id;
        outcome := 'ok';
        code_id := c.id;
        RETURN;
    END IF;

    tries_left := pol.sms_code_max_tries - c.tries - 1;
    IF tries_left <= 0 THEN
        UPDATE sms_codes SET tries = tries + 1, ended_at = now(), ended_why = 'tries'
        WHERE id = c.id;
        outcome := 'expired';
    ELSE
        UPDATE sms_codes SET tries = tries + 1 WHERE id = c.id;
        outcome := 'wrong';
    END IF;
END
$$;

CREATE FUNCTION sms_code_refusal(p_outcome text, p_tries_left integer)
RETURNS api.answer
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE p_outcome
        WHEN 'wrong' THEN api_refusal(400, 'invalid_sms_code',
                                      format('验证码错误，还可尝试%s次', p_tries_left), 'sms_code')
        ELSE api_refusal(400, 'sms_code_expired', '验证码已失效，请重新获取', 'sms_code')
    END
$$;

-- The code p_code_id was checked for phone and purpose in the last few
-- minutes and has not been redeemed: redeem it (once).
CREATE FUNCTION sms_code_redeem(p_code_id bigint, p_phone text, p_purpose text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE sms_codes SET redeemed_at = now()
    WHERE id = p_code_id AND phone = p_phone AND purpose = p_purpose
      AND ended_why = 'used' AND redeemed_at IS NULL
      AND ended_at > now() - (auth_policy()).sms_redeem_window;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH400', 'sms_code_expired', '验证码已失效，请重新获取', 'sms_code');
    END IF;
END
$$;

-- The sender's side: take up to p_limit texts due now for p_lease, and
-- report each one's fate.  FOR UPDATE SKIP LOCKED and the lease let
-- several senders run at once without sending a text twice.
CREATE FUNCTION sms_outbox_claim(p_limit integer, p_lease interval DEFAULT '1 minute')
RETURNS TABLE (id bigint, phone text, content text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    -- texts whose code has expired are not worth sending any more
    UPDATE sms_outbox o
    SET status = 'failed', content = NULL, last_error = coalesce(o.last_error, 'expired before it was sent')
    WHERE o.status = 'pending' AND o.send_before <= now();

    RETURN QUERY
    UPDATE sms_outbox o
    SET claimed_until = now() + p_lease, attempts = o.attempts + 1
    WHERE o.id IN (SELECT s.id FROM sms_outbox s
                   WHERE s.status = 'pending' AND s.next_attempt_at <= now()
                     AND (s.claimed_until IS NULL OR s.claimed_until <= now())
                   ORDER BY s.next_attempt_at, s.id
                   LIMIT p_limit
                   FOR UPDATE SKIP LOCKED)
    RETURNING o.id, o.phone, o.content;
END
$$;
COMMENT ON FUNCTION sms_outbox_claim(integer, interval) IS 'the SMS sender takes due texts (and ends expired ones)';

CREATE FUNCTION sms_outbox_result(p_id bigint, p_sent boolean, p_gateway_id text, p_error text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_status text;
BEGIN
    IF p_sent THEN
        UPDATE sms_outbox
        SET status = 'sent', content = NULL, sent_at = now(), gateway_id = p_gateway_id,
            claimed_until = NULL, last_error = NULL
        WHERE id = p_id AND status = 'pending'
        RETURNING status INTO v_status;
    ELSE
        -- try again 10 s, 20 s, 40 s later, while the code is still valid;
        -- 5 attempts at most
        UPDATE sms_outbox
        SET status = CASE WHEN attempts >= 5 THEN 'failed' ELSE 'pending' END,
            content = CASE WHEN attempts >= 5 THEN NULL ELSE content END,
            next_attempt_at = now() + interval '10 seconds' * (2 ^ (attempts - 1)),
            claimed_until = NULL, last_error = left(p_error, 500)
        WHERE id = p_id AND status = 'pending'
        RETURNING status INTO v_status;
    END IF;
    RETURN v_status;
END
$$;
COMMENT ON FUNCTION sms_outbox_result(bigint, boolean, text, text) IS 'the SMS sender reports a text as sent, or as failed (retried later, given up after 5 attempts)';

-- Sessions ------------------------------------------------------------------

CREATE TABLE sessions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    account_id      bigint NOT NULL REFERENCES accounts,
    -- the double-submit token: the website sends it back in X-CSRF-Token,
    -- which a cross-site form cannot do
    csrf_token      text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    client_addr     inet,
    user_agent      text,
    ended_at        timestamptz,
    ended_why       text CHECK (ended_why IN ('logout', 'password_reset', 'expired')),
    CHECK ((ended_at IS NULL) = (ended_why IS NULL))
);
COMMENT ON TABLE sessions IS 'logged-in sessions; the cookie holds the token, this its SHA-256';
CREATE INDEX sessions_account_idx ON sessions (account_id) WHERE ended_at IS NULL;

-- A new session for the account: returns the session token and CSRF token
CREATE FUNCTION session_start(p_account_id bigint, p_client inet, p_user_agent text,
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
CREATE FUNCTION session_check(p_token text, p_csrf text, p_write boolean)
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

CREATE FUNCTION me_json(p_account_id bigint, p_csrf text)
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
        'csrf_token', p_csrf)
    FROM accounts a WHERE a.id = p_account_id
$$;

-- the answer to a successful login: the account, and the new session
CREATE FUNCTION session_answer(p_status integer, p_account_id bigint,
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
CREATE FUNCTION api.me(p_token text)
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
COMMENT ON FUNCTION api.me(text) IS 'GET /api/me: masked phone, real-name status, unread messages, the CSRF token';

-- DELETE /api/session: ends the session.  Without a live session there is
-- nothing to protect and the cookies are cleared all the same.
CREATE FUNCTION api.session_end(p_token text, p_csrf text)
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

-- Login ---------------------------------------------------------------------

CREATE TABLE login_failures (
    phone           text PRIMARY KEY,
    failures        integer NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz
);
COMMENT ON TABLE login_failures IS
    'wrong password logins in a row per phone, registered or not (so the answers do not tell which), and the lock';

-- The lock on p_phone, if it is locked now
CREATE FUNCTION login_locked_until(p_phone text) RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT locked_until FROM login_failures
    WHERE phone = p_phone AND locked_until > now()
$$;

-- POST /api/session with a password, first half: the hash to check the
-- password against (NULL for an unknown phone: the module then checks it
-- against a made-up hash, so both take the same time), or 423 if locked.
CREATE FUNCTION api.login_password_begin(p_phone text,
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
CREATE FUNCTION api.login_password_finish(p_phone text, p_hash text, p_ok boolean,
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
CREATE FUNCTION api.login_code(p_phone text, p_code text, p_client inet, p_user_agent text)
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

-- Registration and password reset -------------------------------------------
--
-- Both take two steps around the password hash, which the module computes
-- in its thread pool: first the code is checked (and a wrong one counted),
-- then the hash is stored with the checked code as the ticket.

-- Step 1 of either: for registration the phone must be free (409), for a
-- reset it must have an account (404); then the code is checked, and a
-- wrong one counted.  status 0: go on with code_id.
CREATE FUNCTION api.sms_code_begin(p_phone text, p_purpose text, p_code text,
                                   OUT status integer, OUT body json, OUT code_id bigint)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    IF p_purpose NOT IN ('register', 'reset') THEN
        RAISE EXCEPTION 'sms_code_begin: % takes no password', p_purpose;
    END IF;
    PERFORM FROM accounts WHERE phone = p_phone;
    IF FOUND AND p_purpose = 'register' THEN
        status := 409;
        body := api_error('phone_taken', '该手机号已注册，请直接登录', 'phone');
        RETURN;
    ELSIF NOT FOUND AND p_purpose = 'reset' THEN
        status := 404;
        body := api_error('account_not_found', '该手机号尚未注册', 'phone');
        RETURN;
    END IF;
    c := sms_code_check(p_phone, p_purpose, p_code);
    IF c.outcome <> 'ok' THEN
        SELECT r.status, r.body INTO status, body FROM sms_code_refusal(c.outcome, c.tries_left) r;
        RETURN;
    END IF;
    status := 0;
    code_id := c.code_id;
END
$$;
COMMENT ON FUNCTION api.sms_code_begin(text, text, text) IS
    'registration or password reset, step 1: the account checked (409/404), the code checked (counted)';

CREATE FUNCTION api.register_finish(p_code_id bigint, p_phone text, p_password_hash text,
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
CREATE FUNCTION api.password_reset_finish(p_code_id bigint, p_phone text, p_password_hash text,
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

-- Real-name verification ----------------------------------------------------

ALTER TABLE accounts
    ADD COLUMN realname_id_digest text CHECK (realname_id_digest ~ '^[0-9a-f]{64}$');
COMMENT ON COLUMN accounts.realname_id_digest IS
    'HMAC-SHA256 of the verified ID number under the real-name secret: tells whether a number given later is the same, without keeping it';

CREATE TABLE realname_requests (
    id              text PRIMARY KEY CHECK (id ~ '^RN[0-9a-f]{24}$'),
    account_id      bigint NOT NULL REFERENCES accounts,
    name            text NOT NULL CHECK (btrim(name) <> ''),
    id_masked       text NOT NULL,
    id_digest       text NOT NULL CHECK (id_digest ~ '^[0-9a-f]{64}$'),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'verified', 'failed')),
    reason          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    CHECK ((status = 'pending') = (finished_at IS NULL))
);
COMMENT ON TABLE realname_requests IS 'real-name verifications: what the applicant gave, and the provider''s result';
CREATE INDEX realname_requests_account_idx ON realname_requests (account_id, created_at DESC);

CREATE TABLE realname_nonces (
    nonce       text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE realname_nonces IS 'nonces of accepted provider callbacks: the same callback twice is a replay';

-- POST /api/me/realname: a new verification for the applicant.  The module
-- has checked the ID number and computed its mask and digest; it builds
-- the QR payload from the id and time returned.
CREATE FUNCTION api.realname_start(p_token text, p_csrf text, p_name text,
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
CREATE FUNCTION api.realname_status(p_token text)
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
CREATE FUNCTION api.realname_callback(p_request_id text, p_result text, p_name text,
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

-- Orders need a verified applicant ------------------------------------------

CREATE FUNCTION account_verified_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM FROM accounts WHERE id = NEW.account_id AND realname_status = 'verified';
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH403', 'realname_required', '请先完成实名认证');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION account_verified_guard() IS 'applying for a certificate needs a real-name verified account';

CREATE TRIGGER orders_account_verified BEFORE INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION account_verified_guard();
