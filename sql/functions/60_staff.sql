-- Back-office staff: members and roles, passwords, login with its lock-out,
-- sessions and CSRF, and the admin functions managing members.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- blanks of every kind, for trimming what staff type
CREATE OR REPLACE FUNCTION staff_text(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN nullif(btrim(p_text, E' \t\r\n\u3000'), '');

COMMENT ON FUNCTION staff_text(text) IS 'a typed text trimmed of blanks (full-width spaces too); NULL if nothing is left';

-- the login as looked up and locked: logins are lower-case, what is typed
-- may not be; bounded, so a flood of long guesses cannot bloat the lock table
CREATE OR REPLACE FUNCTION staff_login_key(p_login text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN left(lower(coalesce(staff_text(p_login), '')), 64);

COMMENT ON FUNCTION staff_login_key(text) IS 'a typed login as looked up and counted: trimmed, lower-cased, at most 64 characters';

-- the roles of a member, in the roles' order
CREATE OR REPLACE FUNCTION staff_roles_of(p_staff_id bigint)
RETURNS text[]
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(array_agg(r.code ORDER BY r.sort_order), '{}')
    FROM staff_grants g JOIN staff_roles r ON r.code = g.role
    WHERE g.staff_id = p_staff_id
$$;

COMMENT ON FUNCTION staff_roles_of(bigint) IS 'the roles of a staff member, in staff_roles.sort_order';

-- CH403 role_forbidden unless p_role is among p_roles
CREATE OR REPLACE FUNCTION staff_require_role(p_roles text[], p_role text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF NOT coalesce(p_role = ANY (p_roles), false) THEN
        PERFORM raise_api_error('CH403', 'role_forbidden',
                                format('您没有权限执行此操作（需要：%s）',
                                       (SELECT name FROM staff_roles WHERE code = p_role)));
    END IF;
END
$$;

COMMENT ON FUNCTION staff_require_role(text[], text) IS 'CH403 role_forbidden, naming the role needed, unless the member has it';

-- The checks of a member's name and roles, shared by admin.staff_create,
-- admin.staff_update and staff_add: the name trimmed, the roles folded
-- and in their order.
CREATE OR REPLACE FUNCTION staff_checked(p_name text, p_roles text[], OUT name text, OUT roles text[])
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_unknown text;
BEGIN
    name := staff_text(p_name);
    IF name IS NULL OR char_length(name) NOT BETWEEN 2 AND 50 THEN
        PERFORM raise_api_error('CH422', 'invalid_name', '姓名应为2至50个字', 'name');
    END IF;
    IF cardinality(array_remove(p_roles, NULL)) IS NOT DISTINCT FROM 0 OR p_roles IS NULL THEN
        PERFORM raise_api_error('CH422', 'roles_required', '请至少选择一个角色', 'roles');
    END IF;
    SELECT x INTO v_unknown FROM unnest(p_roles) x
    WHERE x IS NULL OR NOT EXISTS (SELECT FROM staff_roles r WHERE r.code = x) LIMIT 1;
    IF FOUND THEN
        PERFORM raise_api_error('CH422', 'unknown_role',
                                format('未知的角色：%s', coalesce(v_unknown, '（空）')), 'roles');
    END IF;
    SELECT array_agg(r.code ORDER BY r.sort_order) INTO roles
    FROM staff_roles r WHERE r.code = ANY (p_roles);
END
$$;

COMMENT ON FUNCTION staff_checked(text, text[]) IS
    'a member''s name and roles checked (CH422 invalid_name, roles_required, unknown_role): the name trimmed, the roles folded in their order';

-- A new member (admin.staff_create, staff_add): the login checked and
-- lower-cased, CH409 if taken.
CREATE OR REPLACE FUNCTION staff_insert(p_login text, p_name text, p_roles text[], p_password_hash text,
                             p_created_by bigint)
RETURNS staff
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_login text := lower(staff_text(p_login));
    c       record;
    s       staff;
BEGIN
    IF v_login IS NULL OR v_login !~ '^[a-z][a-z0-9_.-]{2,31}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_login',
                                '用户名应为3至32位小写字母、数字或 _ . -，以字母开头', 'login');
    END IF;
    c := staff_checked(p_name, p_roles);
    INSERT INTO staff (login, name, password_hash, created_by)
    VALUES (v_login, c.name, p_password_hash, p_created_by)
    ON CONFLICT (login) DO NOTHING
    RETURNING * INTO s;
    IF s.id IS NULL THEN
        PERFORM raise_api_error('CH409', 'login_taken', '该用户名已存在', 'login');
    END IF;
    INSERT INTO staff_grants (staff_id, role) SELECT s.id, unnest(c.roles);
    RETURN s;
END
$$;

COMMENT ON FUNCTION staff_insert(text, text, text[], text, bigint) IS
    'a new staff member with roles: CH422 invalid_login/invalid_name/roles_required/unknown_role, CH409 login_taken';

-- Login -----------------------------------------------------------------------

-- The minutes of the lock, for the message
CREATE OR REPLACE FUNCTION staff_locked_message()
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
RETURN format('密码错误次数过多，请%s分钟后再试',
              ceil(extract(epoch FROM (auth_policy()).login_lock) / 60)::integer);

COMMENT ON FUNCTION staff_locked_message() IS 'the 423 message of a locked login, with the minutes of auth_policy().login_lock';

-- First half of a login: the hash the back office checks the password
-- against (with lib/ch_password, outside any transaction), or 423 while
-- the login is locked.  NULL hash for an unknown or inactive login: the
-- back office then checks against a made-up hash, so both take the same
-- time and the answer is the same.
CREATE OR REPLACE FUNCTION admin.login_begin(p_login text, OUT status integer, OUT message text,
                                  OUT retry_after integer, OUT password_hash text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_until timestamptz;
BEGIN
    SELECT f.locked_until INTO v_until FROM staff_login_failures f
    WHERE f.login = staff_login_key(p_login) AND f.locked_until > now();
    IF FOUND THEN
        status := 423;
        message := staff_locked_message();
        retry_after := seconds_until(v_until);
        RETURN;
    END IF;
    status := 0;
    SELECT s.password_hash INTO password_hash FROM staff s
    WHERE s.login = staff_login_key(p_login) AND s.active;
END
$$;

COMMENT ON FUNCTION admin.login_begin(text) IS
    'back-office login, step 1: status 423 (message, retry_after) while locked, else 0 and the hash to check (NULL: unknown or inactive)';

-- Second half: p_ok says whether the password matched p_hash.  A match
-- logs in, unless the login is locked, the member was deactivated or the
-- password changed meanwhile; anything else counts a failure, and the one
-- that reaches auth_policy().login_max_failures locks the login for
-- login_lock.  Unknown logins are counted the same way, so the answers
-- tell nothing about which logins exist.  Every attempt is audited.
CREATE OR REPLACE FUNCTION admin.login_finish(p_login text, p_hash text, p_ok boolean, p_client inet,
                                   p_user_agent text,
                                   OUT status integer, OUT message text, OUT retry_after integer,
                                   OUT session text, OUT csrf text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol     auth_policy := auth_policy();
    v_key   text := staff_login_key(p_login);
    v_staff staff;
    v_ok    boolean;
    f       staff_login_failures;
BEGIN
    SELECT * INTO v_staff FROM staff s WHERE s.login = v_key;
    v_ok := coalesce(p_ok AND v_staff.active AND v_staff.password_hash = p_hash, false);

    -- the login's row locked for the decision, made or not: two attempts
    -- at once are counted one after the other
    INSERT INTO staff_login_failures (login, failures) VALUES (v_key, 0)
    ON CONFLICT (login) DO UPDATE SET login = excluded.login
    RETURNING * INTO f;

    IF f.locked_until > now() THEN
        PERFORM staff_audit_add(v_staff.id, p_login, 'login_failed', NULL, NULL, NULL, NULL,
                                '账号已锁定', p_client);
        status := 423;
        message := staff_locked_message();
        retry_after := seconds_until(f.locked_until);
        RETURN;
    END IF;

    IF v_ok THEN
        DELETE FROM staff_login_failures x WHERE x.login = v_key;
        session := random_token();
        csrf := random_token();
        INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, client_addr, user_agent)
        VALUES (token_hash(session), v_staff.id, csrf, p_client, left(p_user_agent, 300));
        PERFORM staff_audit_add(v_staff.id, p_login, 'login', NULL, NULL, NULL, NULL, NULL, p_client);
        status := 200;
        RETURN;
    END IF;

    -- a lock that has run out starts the count again
    UPDATE staff_login_failures x
       SET failures = CASE WHEN x.locked_until IS NOT NULL THEN 1 ELSE x.failures + 1 END,
           last_failure_at = now(),
           locked_until = NULL
     WHERE x.login = v_key
    RETURNING * INTO f;
    PERFORM staff_audit_add(v_staff.id, p_login, 'login_failed', NULL, NULL, NULL, NULL,
                            '密码错误', p_client);

    IF f.failures >= pol.login_max_failures THEN
        UPDATE staff_login_failures x SET locked_until = now() + pol.login_lock
         WHERE x.login = v_key
        RETURNING * INTO f;
        status := 423;
        message := staff_locked_message();
        retry_after := seconds_until(f.locked_until);
        RETURN;
    END IF;

    status := 401;
    message := '用户名或密码错误';
END
$$;

COMMENT ON FUNCTION admin.login_finish(text, text, boolean, inet, text) IS
    'back-office login, step 2: 200 + session and csrf tokens, 401 用户名或密码错误 (counted), 423 at the limit and while locked; audited (login, login_failed)';

-- The live session of p_token, refreshed: who, with which roles, and the
-- CSRF token for the page's forms.  CH401 not_logged_in when there is
-- none (unknown, ended, idle too long, too old, member deactivated);
-- CH403 csrf_failed when p_write and p_csrf is not the session's.
CREATE OR REPLACE FUNCTION admin.session(p_token text, p_csrf text, p_write boolean,
                              OUT staff_id bigint, OUT login text, OUT name text,
                              OUT roles text[], OUT csrf text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    pol auth_policy := auth_policy();
    ss  staff_sessions;
    st  staff;
BEGIN
    SELECT * INTO ss FROM staff_sessions x WHERE x.token_hash = token_hash(p_token);
    IF FOUND THEN
        SELECT * INTO st FROM staff x WHERE x.id = ss.staff_id;
    END IF;
    IF ss.id IS NULL OR ss.ended_at IS NOT NULL
       OR ss.last_seen_at <= now() - pol.session_idle
       OR ss.created_at <= now() - pol.session_lifetime
       OR NOT st.active
    THEN
        PERFORM raise_api_error('CH401', 'not_logged_in', '请先登录');
    END IF;

    IF p_write AND (p_csrf IS NULL OR p_csrf <> ss.csrf_token) THEN
        PERFORM raise_api_error('CH403', 'csrf_failed', '页面已过期，请刷新页面后重试');
    END IF;

    -- a write a minute is enough to keep the idle time right
    IF ss.last_seen_at < now() - interval '1 minute' THEN
        UPDATE staff_sessions x SET last_seen_at = now() WHERE x.id = ss.id;
    END IF;

    staff_id := st.id;
    login := st.login;
    name := st.name;
    roles := staff_roles_of(st.id);
    csrf := ss.csrf_token;
END
$$;

COMMENT ON FUNCTION admin.session(text, text, boolean) IS
    'the staff member of a live back-office session (roles in order, csrf token); CH401 not_logged_in, CH403 csrf_failed for a write';

-- Ends the session.  Without a live session there is nothing to end; a
-- live one needs its CSRF token (a forged logout is a nuisance too).
CREATE OR REPLACE FUNCTION admin.logout(p_token text, p_csrf text, p_client inet)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s record;
BEGIN
    BEGIN
        s := admin.session(p_token, p_csrf, true);
    EXCEPTION WHEN SQLSTATE 'CH401' THEN
        RETURN;
    END;
    UPDATE staff_sessions SET ended_at = now(), ended_why = 'logout'
     WHERE token_hash = token_hash(p_token);
    PERFORM staff_audit_add(s.staff_id, s.login, 'logout', NULL, NULL, NULL, NULL, NULL, p_client);
END
$$;

COMMENT ON FUNCTION admin.logout(text, text, inet) IS 'ends a live back-office session (CSRF checked), audited; no live session: nothing to do';

-- The session of an action, with the role it needs
CREATE OR REPLACE FUNCTION staff_acting(p_token text, p_csrf text, p_role text,
                             OUT staff_id bigint, OUT login text, OUT name text,
                             OUT roles text[], OUT csrf text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT * INTO staff_id, login, name, roles, csrf FROM admin.session(p_token, p_csrf, true);
    PERFORM staff_require_role(roles, p_role);
END
$$;

COMMENT ON FUNCTION staff_acting(text, text, text) IS 'admin.session() for a write, then the role: CH401, CH403 csrf_failed or role_forbidden';

CREATE OR REPLACE FUNCTION admin.staff_list()
RETURNS TABLE (id bigint, login text, name text, roles text[], role_names text, active boolean,
               created_at timestamptz, last_login_at timestamptz, locked_until timestamptz)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT s.id, s.login, s.name, staff_roles_of(s.id),
           (SELECT string_agg(r.name, '、' ORDER BY r.sort_order)
              FROM staff_grants g JOIN staff_roles r ON r.code = g.role WHERE g.staff_id = s.id),
           s.active, s.created_at,
           (SELECT max(ss.created_at) FROM staff_sessions ss WHERE ss.staff_id = s.id),
           (SELECT f.locked_until FROM staff_login_failures f
             WHERE f.login = s.login AND f.locked_until > now())
    FROM staff s
    ORDER BY s.active DESC, s.login
$$;

COMMENT ON FUNCTION admin.staff_list() IS 'every staff member: roles, active, last login, the lock if locked now; active first, by login';

-- Staff management -------------------------------------------------------------

CREATE OR REPLACE FUNCTION staff_json(p_staff_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object('name', s.name, 'roles', to_jsonb(staff_roles_of(s.id)), 'active', s.active)
    FROM staff s WHERE s.id = p_staff_id
$$;

COMMENT ON FUNCTION staff_json(bigint) IS 'a member as the audit records a change: {name, roles, active}';

CREATE OR REPLACE FUNCTION admin.staff_create(p_token text, p_csrf text, p_client inet, p_login text,
                                   p_name text, p_roles text[], p_password_hash text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s  record := staff_acting(p_token, p_csrf, 'admin');
    st staff := staff_insert(p_login, p_name, p_roles, p_password_hash, s.staff_id);
BEGIN
    PERFORM staff_audit_add(s.staff_id, s.login, 'staff_create', NULL, st.login, NULL,
                            staff_json(st.id), NULL, p_client);
    RETURN st.id;
END
$$;

COMMENT ON FUNCTION admin.staff_create(text, text, inet, text, text, text[], text) IS
    '新建员工 (admin): CH422 invalid_login, invalid_name, roles_required, unknown_role; CH409 login_taken; returns the id';

CREATE OR REPLACE FUNCTION admin.staff_update(p_token text, p_csrf text, p_client inet, p_staff_id bigint,
                                   p_name text, p_roles text[], p_active boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'admin');
    st       staff;
    c        record;
    v_active boolean;
    v_before jsonb;
BEGIN
    SELECT * INTO st FROM staff x WHERE x.id = p_staff_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'staff_not_found', '员工不存在');
    END IF;
    c := staff_checked(p_name, p_roles);
    v_active := coalesce(p_active, st.active);
    -- an admin cannot lock themselves out; another admin can
    IF st.id = s.staff_id AND (NOT 'admin' = ANY (c.roles) OR NOT v_active) THEN
        PERFORM raise_api_error('CH409', 'cannot_demote_self', '不能取消自己的管理员角色或停用自己的账号');
    END IF;

    v_before := staff_json(st.id);
    UPDATE staff x SET name = c.name, active = v_active WHERE x.id = st.id;
    DELETE FROM staff_grants g WHERE g.staff_id = st.id AND g.role <> ALL (c.roles);
    INSERT INTO staff_grants (staff_id, role) SELECT st.id, unnest(c.roles)
    ON CONFLICT DO NOTHING;
    IF st.active AND NOT v_active THEN
        UPDATE staff_sessions x SET ended_at = now(), ended_why = 'deactivated'
         WHERE x.staff_id = st.id AND x.ended_at IS NULL;
    END IF;

    PERFORM staff_audit_add(s.staff_id, s.login, 'staff_update', NULL, st.login, v_before,
                            staff_json(st.id), NULL, p_client);
END
$$;

COMMENT ON FUNCTION admin.staff_update(text, text, inet, bigint, text, text[], boolean) IS
    '修改员工 (admin): name, roles, active (NULL: unchanged); deactivation ends the sessions; CH404 staff_not_found, CH409 cannot_demote_self, CH422 as staff_create';

-- A new password: the member's other sessions end (whoever knew the old
-- one is out), and the lock goes (the admin vouches for the new one).
CREATE OR REPLACE FUNCTION staff_password_set(p_staff staff, p_password_hash text, p_keep_token text)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    UPDATE staff SET password_hash = p_password_hash, password_changed_at = now()
     WHERE id = p_staff.id;
    UPDATE staff_sessions SET ended_at = now(), ended_why = 'password_changed'
     WHERE staff_id = p_staff.id AND ended_at IS NULL
       AND token_hash IS DISTINCT FROM token_hash(p_keep_token);
    DELETE FROM staff_login_failures WHERE login = p_staff.login;
$$;

COMMENT ON FUNCTION staff_password_set(staff, text, text) IS
    'sets a member''s password hash, ends their sessions but p_keep_token''s, lifts the login lock';

CREATE OR REPLACE FUNCTION admin.staff_password(p_token text, p_csrf text, p_client inet, p_staff_id bigint,
                                     p_password_hash text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s  record := admin.session(p_token, p_csrf, true);
    st staff;
BEGIN
    IF p_staff_id IS DISTINCT FROM s.staff_id THEN
        PERFORM staff_require_role(s.roles, 'admin');
    END IF;
    SELECT * INTO st FROM staff x WHERE x.id = p_staff_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'staff_not_found', '员工不存在');
    END IF;
    PERFORM staff_password_set(st, p_password_hash, p_token);
    PERFORM staff_audit_add(s.staff_id, s.login, 'staff_password', NULL, st.login, NULL, NULL,
                            CASE WHEN st.id = s.staff_id THEN '本人修改' ELSE '管理员重置' END,
                            p_client);
END
$$;

COMMENT ON FUNCTION admin.staff_password(text, text, inet, bigint, text) IS
    '重置密码: an admin for anyone, anyone for themselves (else CH403 role_forbidden); other sessions end, the lock goes; CH404 staff_not_found';

-- The command line (certhall-admin staff-add, staff-password): the first
-- admin has nobody to log in as.
CREATE OR REPLACE FUNCTION staff_add(p_login text, p_name text, p_roles text[], p_password_hash text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    st staff := staff_insert(p_login, p_name, p_roles, p_password_hash, NULL);
BEGIN
    PERFORM staff_audit_add(NULL, NULL, 'staff_create', NULL, st.login, NULL, staff_json(st.id),
                            '命令行', NULL);
    RETURN st.id;
END
$$;

COMMENT ON FUNCTION staff_add(text, text, text[], text) IS
    'certhall-admin staff-add: a new member, checked like admin.staff_create, audited as the command line';

CREATE OR REPLACE FUNCTION staff_set_password(p_login text, p_password_hash text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    st staff;
BEGIN
    SELECT * INTO st FROM staff x WHERE x.login = staff_login_key(p_login) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'staff_not_found', '员工不存在', 'login');
    END IF;
    PERFORM staff_password_set(st, p_password_hash, NULL);
    PERFORM staff_audit_add(NULL, NULL, 'staff_password', NULL, st.login, NULL, NULL, '命令行', NULL);
    RETURN st.id;
END
$$;

COMMENT ON FUNCTION staff_set_password(text, text) IS
    'certhall-admin staff-password: a new password hash for the login (CH404 if none), all sessions ended, the lock lifted; audited as the command line';
