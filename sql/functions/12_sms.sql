-- SMS verification codes: the request with its rate limits, the code's
-- check and redemption, and the outbox certhall-admin sms-send drains.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- a uniform 6-digit code: 4 random bytes, redrawn above the largest
-- multiple of 10^6, so every code is equally likely
CREATE OR REPLACE FUNCTION sms_code_random() RETURNS text
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

CREATE OR REPLACE FUNCTION sms_purpose_name(p_purpose text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE p_purpose WHEN 'register' THEN '注册'
                          WHEN 'login' THEN '登录'
                          WHEN 'reset' THEN '重置密码' END
$$;

-- POST /api/sms-codes: a new code for phone and purpose, if the limits
-- allow.  The phone is already checked and normalised by the module.
CREATE OR REPLACE FUNCTION api.sms_code_request(p_phone text, p_purpose text, p_client inet)
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
CREATE OR REPLACE FUNCTION sms_code_check(p_phone text, p_purpose text, p_code text,
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

CREATE OR REPLACE FUNCTION sms_code_refusal(p_outcome text, p_tries_left integer)
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
CREATE OR REPLACE FUNCTION sms_code_redeem(p_code_id bigint, p_phone text, p_purpose text)
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
CREATE OR REPLACE FUNCTION sms_outbox_claim(p_limit integer, p_lease interval DEFAULT '1 minute')
RETURNS TABLE (id bigint, phone text, content text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    -- texts whose code has expired are not worth sending any more
    UPDATE sms_outbox o
    SET status = 'failed', content = NULL, last_error = coalesce(o.last_error, 'expired before it was sent')
    WHERE o.status = 'pending' AND o.send_before <= now();

    -- RETURN QUERY wants the declared types exactly: the phone's domain
    -- (mobile_number, 0012) is cast back to its text
    RETURN QUERY
    UPDATE sms_outbox o
    SET claimed_until = now() + p_lease, attempts = o.attempts + 1
    WHERE o.id IN (SELECT s.id FROM sms_outbox s
                   WHERE s.status = 'pending' AND s.next_attempt_at <= now()
                     AND (s.claimed_until IS NULL OR s.claimed_until <= now())
                   ORDER BY s.next_attempt_at, s.id
                   LIMIT p_limit
                   FOR UPDATE SKIP LOCKED)
    RETURNING o.id, o.phone::text, o.content;
END
$$;

COMMENT ON FUNCTION sms_outbox_claim(integer, interval) IS 'the SMS sender takes due texts (and ends expired ones)';

CREATE OR REPLACE FUNCTION sms_outbox_result(p_id bigint, p_sent boolean, p_gateway_id text, p_error text)
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

-- A sender that stopped before posting a claimed text (the gateway did not
-- answer the one before: the rest of its batch would only wait out the
-- same timeout) hands it back as if never claimed: due at once for the
-- next run, the attempt not counted.  Only while its lease holds: after
-- it another sender may have it.
CREATE OR REPLACE FUNCTION sms_outbox_release(p_id bigint)
RETURNS boolean
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    WITH released AS (
        UPDATE sms_outbox
        SET claimed_until = NULL, attempts = greatest(attempts - 1, 0)
        WHERE id = p_id AND status = 'pending' AND claimed_until > now()
        RETURNING id)
    SELECT EXISTS (SELECT FROM released)
$$;

COMMENT ON FUNCTION sms_outbox_release(bigint) IS 'the SMS sender hands back a claimed text it did not post (the attempt not counted)';

-- Registration and password reset -------------------------------------------
--
-- Both take two steps around the password hash, which the module computes
-- in its thread pool: first the code is checked (and a wrong one counted),
-- then the hash is stored with the checked code as the ticket.

-- Step 1 of either: for registration the phone must be free (409), for a
-- reset it must have an account (404); then the code is checked, and a
-- wrong one counted.  status 0: go on with code_id.
CREATE OR REPLACE FUNCTION api.sms_code_begin(p_phone text, p_purpose text, p_code text,
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
