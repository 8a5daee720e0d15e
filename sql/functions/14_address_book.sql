-- 我的地址 and 我的发票抬头: the applicant's saved addresses and invoice titles.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- keeps a title in 我的发票抬头 (the first one is the default); an equal
-- title is only touched, not repeated
CREATE OR REPLACE FUNCTION invoice_title_keep(p_account_id bigint, p_title_type text, p_title text,
                                   p_taxpayer_id text)
RETURNS invoice_titles
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    t invoice_titles;
BEGIN
    PERFORM FROM accounts WHERE id = p_account_id FOR UPDATE;
    IF (SELECT count(*) FROM invoice_titles WHERE account_id = p_account_id) >= 20
       AND NOT EXISTS (SELECT FROM invoice_titles WHERE account_id = p_account_id
                       AND title = p_title AND taxpayer_id IS NOT DISTINCT FROM p_taxpayer_id)
    THEN
        PERFORM raise_api_error('CH422', 'too_many', '发票抬头最多保存20个', 'save_title');
    END IF;
    INSERT INTO invoice_titles AS it (account_id, title_type, title, taxpayer_id, is_default)
    VALUES (p_account_id, p_title_type, p_title, p_taxpayer_id,
            NOT EXISTS (SELECT FROM invoice_titles WHERE account_id = p_account_id))
    ON CONFLICT (account_id, title, taxpayer_id) DO UPDATE
       SET title_type = EXCLUDED.title_type, updated_at = now()
    RETURNING * INTO t;
    RETURN t;
END
$$;

-- The API: addresses and invoice titles -------------------------------------

CREATE OR REPLACE FUNCTION address_json(a addresses)
RETURNS json
LANGUAGE sql IMMUTABLE
RETURN json_build_object('id', a.id, 'recipient', a.recipient, 'mobile', a.mobile,
                         'region', a.region, 'detail', a.detail,
                         'postal_code', a.postal_code, 'is_default', a.is_default,
                         'created_at', a.created_at);

CREATE OR REPLACE FUNCTION invoice_title_json(t invoice_titles)
RETURNS json
LANGUAGE sql IMMUTABLE
RETURN json_build_object('id', t.id, 'title_type', t.title_type, 'title', t.title,
                         'taxpayer_id', t.taxpayer_id, 'is_default', t.is_default,
                         'created_at', t.created_at);

-- GET /api/addresses, default first then newest
CREATE OR REPLACE FUNCTION api.addresses(p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
BEGIN
    RETURN json_build_object('addresses', coalesce(
        (SELECT json_agg(address_json(a) ORDER BY a.is_default DESC, a.created_at DESC, a.id DESC)
         FROM addresses a WHERE a.account_id = s.account_id), '[]'::json));
END
$$;

-- POST /api/addresses (p_id NULL) or PUT /api/addresses/{id}.  The account
-- row is locked: the count limit and the one default hold under
-- concurrent requests.  The first address is the default; p_default moves
-- the default here.
CREATE OR REPLACE FUNCTION api.address_save(p_token text, p_csrf text, p_id bigint,
                                 p_recipient text, p_mobile text, p_region text,
                                 p_detail text, p_postal_code text, p_default boolean)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    a addresses;
BEGIN
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    IF p_id IS NULL THEN
        IF (SELECT count(*) FROM addresses WHERE account_id = s.account_id) >= 20 THEN
            PERFORM raise_api_error('CH422', 'too_many', '收货地址最多保存20个');
        END IF;
        INSERT INTO addresses (account_id, recipient, mobile, region, detail, postal_code)
        VALUES (s.account_id, p_recipient, p_mobile, p_region, p_detail, p_postal_code)
        RETURNING * INTO a;
    ELSE
        UPDATE addresses
           SET recipient = p_recipient, mobile = p_mobile, region = p_region,
               detail = p_detail, postal_code = p_postal_code, updated_at = now()
         WHERE id = p_id AND account_id = s.account_id
        RETURNING * INTO a;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH404', 'address_not_found', '收货地址不存在');
        END IF;
    END IF;
    IF coalesce(p_default, false)
       OR NOT EXISTS (SELECT FROM addresses WHERE account_id = s.account_id AND is_default)
    THEN
        UPDATE addresses SET is_default = false
         WHERE account_id = s.account_id AND is_default AND id <> a.id;
        UPDATE addresses SET is_default = true WHERE id = a.id RETURNING * INTO a;
    END IF;
    RETURN address_json(a);
END
$$;

-- DELETE /api/addresses/{id}: the newest remaining one becomes the default
-- if this one was.  Orders keep their own copy of the address.
CREATE OR REPLACE FUNCTION api.address_delete(p_token text, p_csrf text, p_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    a addresses;
BEGIN
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    DELETE FROM addresses WHERE id = p_id AND account_id = s.account_id RETURNING * INTO a;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'address_not_found', '收货地址不存在');
    END IF;
    IF a.is_default THEN
        UPDATE addresses SET is_default = true
         WHERE id = (SELECT id FROM addresses WHERE account_id = s.account_id
                     ORDER BY created_at DESC, id DESC LIMIT 1);
    END IF;
    RETURN json_build_object('deleted', a.id);
END
$$;

-- GET /api/invoice-titles
CREATE OR REPLACE FUNCTION api.invoice_titles(p_token text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
BEGIN
    RETURN json_build_object('invoice_titles', coalesce(
        (SELECT json_agg(invoice_title_json(t) ORDER BY t.is_default DESC, t.created_at DESC, t.id DESC)
         FROM invoice_titles t WHERE t.account_id = s.account_id), '[]'::json));
END
$$;

-- POST /api/invoice-titles (p_id NULL) or PUT /api/invoice-titles/{id}
CREATE OR REPLACE FUNCTION api.invoice_title_save(p_token text, p_csrf text, p_id bigint,
                                       p_title_type text, p_title text, p_taxpayer_id text,
                                       p_default boolean)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    t invoice_titles;
BEGIN
    IF p_title_type = 'org' AND p_taxpayer_id IS NULL THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请输入纳税人识别号', 'taxpayer_id');
    END IF;
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    BEGIN
        IF p_id IS NULL THEN
            IF (SELECT count(*) FROM invoice_titles WHERE account_id = s.account_id) >= 20 THEN
                PERFORM raise_api_error('CH422', 'too_many', '发票抬头最多保存20个');
            END IF;
            INSERT INTO invoice_titles (account_id, title_type, title, taxpayer_id)
            VALUES (s.account_id, p_title_type, p_title, p_taxpayer_id)
            RETURNING * INTO t;
        ELSE
            UPDATE invoice_titles
               SET title_type = p_title_type, title = p_title, taxpayer_id = p_taxpayer_id,
                   updated_at = now()
             WHERE id = p_id AND account_id = s.account_id
            RETURNING * INTO t;
            IF NOT FOUND THEN
                PERFORM raise_api_error('CH404', 'invoice_title_not_found', '发票抬头不存在');
            END IF;
        END IF;
    EXCEPTION WHEN unique_violation THEN
        PERFORM raise_api_error('CH409', 'invoice_title_exists', '该发票抬头已保存', 'title');
    END;
    IF coalesce(p_default, false)
       OR NOT EXISTS (SELECT FROM invoice_titles WHERE account_id = s.account_id AND is_default)
    THEN
        UPDATE invoice_titles SET is_default = false
         WHERE account_id = s.account_id AND is_default AND id <> t.id;
        UPDATE invoice_titles SET is_default = true WHERE id = t.id RETURNING * INTO t;
    END IF;
    RETURN invoice_title_json(t);
END
$$;

-- DELETE /api/invoice-titles/{id}
CREATE OR REPLACE FUNCTION api.invoice_title_delete(p_token text, p_csrf text, p_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    t invoice_titles;
BEGIN
    PERFORM FROM accounts WHERE id = s.account_id FOR UPDATE;
    DELETE FROM invoice_titles WHERE id = p_id AND account_id = s.account_id RETURNING * INTO t;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'invoice_title_not_found', '发票抬头不存在');
    END IF;
    IF t.is_default THEN
        UPDATE invoice_titles SET is_default = true
         WHERE id = (SELECT id FROM invoice_titles WHERE account_id = s.account_id
                     ORDER BY created_at DESC, id DESC LIMIT 1);
    END IF;
    RETURN json_build_object('deleted', t.id);
END
$$;
