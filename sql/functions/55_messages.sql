-- Messages to applicants: the list, read marks, the unread count.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- The API: messages ---------------------------------------------------------

CREATE OR REPLACE FUNCTION unread_messages(p_account_id bigint)
RETURNS bigint
LANGUAGE sql STABLE
RETURN (SELECT count(*) FROM messages WHERE account_id = p_account_id AND read_at IS NULL);

-- GET /api/messages: newest first, all or the unread ones
CREATE OR REPLACE FUNCTION api.messages(p_token text, p_page integer, p_per_page integer, p_unread boolean)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s      sessions := session_check(p_token, NULL, false);
    v_page integer := greatest(coalesce(p_page, 1), 1);
    v_per  integer := least(greatest(coalesce(p_per_page, 20), 1), 100);
BEGIN
    RETURN json_build_object(
        'messages', coalesce((
            SELECT json_agg(json_build_object(
                       'id', m.id, 'order_id', m.order_id, 'title', m.title,
                       'body', m.body, 'created_at', m.created_at,
                       'read', m.read_at IS NOT NULL)
                     ORDER BY m.created_at DESC, m.id DESC)
            FROM (SELECT * FROM messages
                  WHERE account_id = s.account_id
                    AND (NOT coalesce(p_unread, false) OR read_at IS NULL)
                  ORDER BY created_at DESC, id DESC
                  LIMIT v_per OFFSET (v_page - 1)::bigint * v_per) m), '[]'::json),
        'unread', unread_messages(s.account_id),
        'page', v_page, 'per_page', v_per,
        'total', (SELECT count(*) FROM messages
                  WHERE account_id = s.account_id
                    AND (NOT coalesce(p_unread, false) OR read_at IS NULL)));
END
$$;

-- POST /api/messages/{id}/read
CREATE OR REPLACE FUNCTION api.message_read(p_token text, p_csrf text, p_id bigint)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
BEGIN
    -- never before the message: one written by a transaction that began
    -- after this one may be older than now()
    UPDATE messages SET read_at = coalesce(read_at, greatest(now(), created_at))
     WHERE id = p_id AND account_id = s.account_id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'message_not_found', '消息不存在');
    END IF;
    RETURN json_build_object('id', p_id, 'read', true, 'unread', unread_messages(s.account_id));
END
$$;

-- POST /api/messages/read-all
CREATE OR REPLACE FUNCTION api.messages_read_all(p_token text, p_csrf text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    n bigint;
BEGIN
    UPDATE messages SET read_at = greatest(now(), created_at)
     WHERE account_id = s.account_id AND read_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN json_build_object('read', n, 'unread', 0);
END
$$;
