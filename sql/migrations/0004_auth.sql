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

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

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

-- Login ---------------------------------------------------------------------

CREATE TABLE login_failures (
    phone           text PRIMARY KEY,
    failures        integer NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz
);
COMMENT ON TABLE login_failures IS
    'wrong password logins in a row per phone, registered or not (so the answers do not tell which), and the lock';

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
