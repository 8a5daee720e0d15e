-- The helpers every capability uses: the CHnnn refusal protocol (raise_api_error,
-- api_error, api_refusal), tokens and their hashes, masking, LIKE escaping,
-- the append-only guard of history tables, and GET /api/health.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- Errors for the API --------------------------------------------------------

-- Every error a user can cause is raised through this one function so that
-- they all have the same shape, which the nginx module and the back office
-- map generically:
--   SQLSTATE  'CH' + the HTTP status (CH400, CH403, CH404, CH409, CH422...);
--             class CH is not used by PostgreSQL, so it never collides
--   MESSAGE   a Chinese sentence for the user
--   DETAIL    the stable English code of the API's error object
--   COLUMN    the form field at fault, when there is one
-- Errors that only a programming mistake can cause keep ordinary SQLSTATEs
-- and so become a 500.  Only CH4nn is a refusal (lib/ch_refusal.c, which
-- the module and the back office decode it with): a 5nn is the server's
-- fault and is never told in the database's words, so it is not raised.
CREATE OR REPLACE FUNCTION raise_api_error(p_sqlstate text, p_code text, p_message text,
                                p_field text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_sqlstate IS NULL OR p_sqlstate !~ '^CH4[0-9]{2}$' THEN
        RAISE EXCEPTION 'raise_api_error: % is not a CH4nn state', p_sqlstate;
    END IF;
    -- RAISE refuses a NULL option, hence two forms
    IF p_field IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = p_sqlstate, MESSAGE = p_message,
                              DETAIL = p_code;
    ELSE
        RAISE EXCEPTION USING ERRCODE = p_sqlstate, MESSAGE = p_message,
                              DETAIL = p_code, COLUMN = p_field;
    END IF;
END
$$;

COMMENT ON FUNCTION raise_api_error(text, text, text, text) IS
    'raises a user-facing error: SQLSTATE CHnnn (nnn = HTTP status), MESSAGE Chinese, DETAIL the stable code, COLUMN the form field';

-- GET /api/health: reaching this function is the database check.
CREATE OR REPLACE FUNCTION api.health()
RETURNS json
LANGUAGE sql
STABLE
RETURN '{"status":"ok","database":"ok"}'::json;

COMMENT ON FUNCTION api.health() IS 'GET /api/health: the answer when the database answers';

CREATE OR REPLACE FUNCTION api_error(p_code text, p_message text, p_field text DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION api_refusal(p_status integer, p_code text, p_message text,
                            p_field text DEFAULT NULL, p_retry_after integer DEFAULT NULL)
RETURNS api.answer
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ROW(p_status, api_error(p_code, p_message, p_field), NULL, NULL, p_retry_after)::api.answer
$$;

-- seconds until p_at, rounded up, at least 1
CREATE OR REPLACE FUNCTION seconds_until(p_at timestamptz) RETURNS integer
LANGUAGE sql STABLE
AS $$ SELECT greatest(1, ceil(extract(epoch FROM p_at - now())))::integer $$;

-- 32 random bytes as base64url without padding: 43 characters
CREATE OR REPLACE FUNCTION random_token() RETURNS text
LANGUAGE sql VOLATILE
AS $$ SELECT rtrim(translate(encode(gen_random_bytes(32), 'base64'), '+/', '-_'), '=') $$;

CREATE OR REPLACE FUNCTION token_hash(p_token text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT sha256(convert_to(p_token, 'UTF8')) $$;

-- 138****0001
CREATE OR REPLACE FUNCTION phone_masked(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT left(p_phone, 3) || '****' || right(p_phone, 4) $$;

-- '%' and '_' typed by a user are letters, not wildcards
CREATE OR REPLACE FUNCTION like_escape(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
RETURN replace(replace(replace(p_text, '\', '\\'), '%', '\%'), '_', '\_');

-- Append only.  As with orders_guard (0003), certhall owns the table and
-- could grant itself back a revoked UPDATE, so a trigger stops mistakes
-- (a fix by hand, a feature's stray UPDATE), not a hostile owner.
-- TRUNCATE fires no row trigger: the test set-ups that empty the database
-- still can.
CREATE OR REPLACE FUNCTION append_only_guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '%: rows are only ever appended (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

COMMENT ON FUNCTION append_only_guard() IS 'refuses UPDATE and DELETE of an append-only table (42501)';
