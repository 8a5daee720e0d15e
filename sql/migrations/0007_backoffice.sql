-- Schema v1, part 6: the back office (issue #7).
--
--   staff, staff_roles, staff_grants   the CA's staff and what each may do
--   staff_sessions                     the back office's logins
--   staff_login_failures               wrong passwords per login, the lock
--   staff_audit, audit_actions         every staff action, append only
--   order_rejections                   the files a rejection names
--   voucher_reviews                    finance's judgement of a voucher
--   couriers, order_shipments          how the key left the hall
--
-- and the admin.* functions the back office (admin/, a CGI) calls with
-- PQexecParams.  Staff are not applicants: their own table, sessions and
-- lock, so that neither side's rules leak into the other.
--
-- What an order needs before it moves on (a confirmed voucher before the
-- approval, a recorded shipment and certificate before it leaves) is a
-- trigger on orders, not a line in admin.*: it holds whoever calls
-- order_transition(), the back office, a scheduled job or psql.
--
-- Every successful staff write appends one staff_audit row in the same
-- transaction, so an action and its record commit together or not at all;
-- a refusal raises and writes nothing.  Logins are the exception on
-- purpose: a wrong password must be counted and recorded, so the login
-- functions answer with a status instead of raising (as in 0004).

SET LOCAL timezone = 'Asia/Shanghai';

-- Staff and roles -----------------------------------------------------------

CREATE TABLE staff_roles (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL UNIQUE,
    sort_order  integer NOT NULL
);
COMMENT ON TABLE staff_roles IS 'what a staff member may do in the back office; the first three are the actor kinds of the order transitions they make';

INSERT INTO staff_roles (code, name, sort_order) VALUES
    ('reviewer', '审核员', 10),
    ('finance',  '财务',   20),
    ('shipper',  '发货员', 30),
    ('admin',    '管理员', 40);

CREATE TABLE staff (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login               text NOT NULL UNIQUE CHECK (login ~ '^[a-z][a-z0-9_.-]{2,31}$'),
    name                text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 50
                                             AND name = btrim(name, E' \t\r\n\u3000')),
    -- the format of accounts.password_hash, made by lib/ch_password
    password_hash       text NOT NULL CHECK (password_hash ~ '^\$pbkdf2-sha256\$'),
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          bigint REFERENCES staff,
    password_changed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE staff IS 'the CA''s back-office staff (reviewers, finance, shippers, admins); never deleted, deactivated (the audit names them)';
COMMENT ON COLUMN staff.login IS 'the login name: lower-case, 3 to 32 characters, a letter first';
COMMENT ON COLUMN staff.name IS 'the person''s name as shown in timelines and the audit';
COMMENT ON COLUMN staff.password_hash IS '$pbkdf2-sha256$N$salt$key, computed by the back office (lib/ch_password)';
COMMENT ON COLUMN staff.active IS 'false: cannot log in, sessions ended; kept for the history';
COMMENT ON COLUMN staff.created_by IS 'the admin who created the member; NULL: the command line (certhall-admin staff-add)';
COMMENT ON COLUMN staff.password_changed_at IS 'when the current password was set';

CREATE TABLE staff_grants (
    staff_id    bigint NOT NULL REFERENCES staff,
    role        text NOT NULL REFERENCES staff_roles,
    PRIMARY KEY (staff_id, role)
);
COMMENT ON TABLE staff_grants IS 'the roles of each staff member (one or more; the functions that write it see to that)';

-- Sessions and the lock -----------------------------------------------------

CREATE TABLE staff_sessions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    staff_id        bigint NOT NULL REFERENCES staff,
    -- the CSRF token the back office's forms send back
    csrf_token      text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    client_addr     inet,
    user_agent      text,
    ended_at        timestamptz,
    ended_why       text CHECK (ended_why IN ('logout', 'password_changed', 'deactivated', 'expired')),
    CHECK ((ended_at IS NULL) = (ended_why IS NULL))
);
COMMENT ON TABLE staff_sessions IS 'back-office sessions; the cookie holds the token, this its SHA-256; idle and lifetime limits of auth_policy()';
COMMENT ON COLUMN staff_sessions.ended_why IS 'logout, password_changed (another session set a new password), deactivated (the member was), expired';
CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id, created_at DESC);

CREATE TABLE staff_login_failures (
    login           text PRIMARY KEY,
    failures        integer NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz
);
COMMENT ON TABLE staff_login_failures IS
    'wrong passwords in a row per login (lower-cased), existing or not, so that the answers do not tell which; the lock (auth_policy: login_max_failures, login_lock)';

-- The audit trail -----------------------------------------------------------

CREATE TABLE audit_actions (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name    text NOT NULL UNIQUE
);
COMMENT ON TABLE audit_actions IS 'what a staff_audit row records, with its name for the audit page';

INSERT INTO audit_actions (code, name) VALUES
    ('login',           '登录'),
    ('login_failed',    '登录失败'),
    ('logout',          '退出登录'),
    ('approve',         '审核通过'),
    ('reject',          '审核不通过'),
    ('voucher_confirm', '确认转账凭证'),
    ('voucher_refuse',  '退回转账凭证'),
    ('certificate',     '登记证书'),
    ('ship',            '快递寄出'),
    ('pickup',          '受理点自取'),
    ('file_view',       '查看资料'),
    ('staff_create',    '新建员工'),
    ('staff_update',    '修改员工'),
    ('staff_password',  '重置密码');

CREATE TABLE staff_audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the moment of the action itself, not of its transaction's start: a
    -- bulk approval's rows are in the order they happened
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    staff_id    bigint REFERENCES staff,
    login       text,
    action      text NOT NULL REFERENCES audit_actions,
    -- no foreign key: the trail outlives anything it names
    order_id    text,
    subject     text,
    before      jsonb,
    after       jsonb,
    detail      text,
    client_addr inet
);
COMMENT ON TABLE staff_audit IS 'every staff action (and every back-office login attempt), append only: written in the transaction of the action';
COMMENT ON COLUMN staff_audit.staff_id IS 'who; NULL for an unknown login, or the command line';
COMMENT ON COLUMN staff_audit.login IS 'the login as typed (login attempts) or the staff member''s; NULL for the command line';
COMMENT ON COLUMN staff_audit.order_id IS 'the order acted on, if any (no foreign key: the trail outlives it)';
COMMENT ON COLUMN staff_audit.subject IS 'what else was acted on: the staff login changed, the material id viewed';
COMMENT ON COLUMN staff_audit.before IS 'what the action changed, as it was (e.g. {"state":"pending_review"})';
COMMENT ON COLUMN staff_audit.after IS 'what the action changed, as it became';
COMMENT ON COLUMN staff_audit.detail IS 'the reason given, or the result (密码错误, 账号已锁定, 命令行...)';

CREATE INDEX staff_audit_at_idx ON staff_audit (at DESC);
CREATE INDEX staff_audit_staff_idx ON staff_audit (staff_id, at DESC);
CREATE INDEX staff_audit_order_idx ON staff_audit (order_id, id);
CREATE INDEX staff_audit_action_idx ON staff_audit (action, at DESC);

-- Append only.  As with orders_guard (0003), certhall owns the table and
-- could grant itself back a revoked UPDATE, so a trigger stops mistakes
-- (a fix by hand, a feature's stray UPDATE), not a hostile owner.
-- TRUNCATE fires no row trigger: the test set-ups that empty the database
-- still can.
CREATE FUNCTION append_only_guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '%: rows are only ever appended (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION append_only_guard() IS 'refuses UPDATE and DELETE of an append-only table (42501)';

CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();

-- Rejections, vouchers, shipments ---------------------------------------------

CREATE TABLE order_rejections (
    event_id    bigint PRIMARY KEY REFERENCES order_events ON DELETE CASCADE,
    order_id    text NOT NULL REFERENCES orders ON DELETE CASCADE,
    kinds       text[] NOT NULL
);
COMMENT ON TABLE order_rejections IS 'the materials a rejection (审核不通过) asks the applicant to upload again; one row per rejection event';
COMMENT ON COLUMN order_rejections.kinds IS 'material kinds of the order''s offer, in their sort order; may be empty (the reason says it all)';

CREATE INDEX order_rejections_order_idx ON order_rejections (order_id);

CREATE TABLE voucher_reviews (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- reviews go with their order only (orders are deleted only by tests
    -- cleaning up); voucher_reviews_guard refuses any other deletion
    order_id    text NOT NULL REFERENCES orders ON DELETE CASCADE,
    -- a voucher is judged once
    material_id bigint NOT NULL UNIQUE REFERENCES materials,
    decision    text NOT NULL CHECK (decision IN ('confirmed', 'refused')),
    payer_name  text CHECK (btrim(payer_name) <> '' AND char_length(payer_name) <= 100),
    amount_fen  money_fen,
    reason      text CHECK (btrim(reason) <> '' AND char_length(reason) <= 500),
    staff_id    bigint NOT NULL REFERENCES staff,
    at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((decision = 'confirmed') = (payer_name IS NOT NULL AND amount_fen IS NOT NULL)),
    CHECK ((decision = 'refused') = (reason IS NOT NULL))
);
COMMENT ON TABLE voucher_reviews IS 'finance''s judgement of a transfer voucher (公对公转账凭证): confirmed (the money arrived from the applicant) or refused; append only';
COMMENT ON COLUMN voucher_reviews.material_id IS 'the voucher judged (materials, kind transfer_voucher, of this order)';
COMMENT ON COLUMN voucher_reviews.payer_name IS 'confirmed: the paying organisation as finance read it from the voucher';
COMMENT ON COLUMN voucher_reviews.amount_fen IS 'confirmed: the amount transferred, in fen (equal to the order''s amount_fen)';
COMMENT ON COLUMN voucher_reviews.reason IS 'refused: why, as the applicant is told';

CREATE INDEX voucher_reviews_order_idx ON voucher_reviews (order_id);

-- inserted only for a voucher of the order, while the order is under
-- review; never changed; deleted only with the order
CREATE FUNCTION voucher_reviews_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM orders WHERE id = OLD.order_id) THEN
            RETURN OLD;         -- the order itself is being deleted
        END IF;
        RAISE EXCEPTION 'voucher_reviews: rows are only ever appended (DELETE refused)'
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'voucher_reviews: rows are only ever appended (UPDATE refused)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM FROM materials m
    WHERE m.id = NEW.material_id AND m.order_id = NEW.order_id AND m.kind = 'transfer_voucher';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voucher_reviews: material % is no transfer voucher of order %',
                        NEW.material_id, NEW.order_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM FROM orders o WHERE o.id = NEW.order_id AND o.state = 'pending_review' FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voucher_reviews: order % is not under review', NEW.order_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION voucher_reviews_guard() IS
    'voucher_reviews: a voucher of the order, judged while the order is pending_review; append only, deleted only with the order';

CREATE TRIGGER voucher_reviews_guard BEFORE INSERT OR UPDATE OR DELETE ON voucher_reviews
    FOR EACH ROW EXECUTE FUNCTION voucher_reviews_guard();

CREATE TABLE couriers (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL UNIQUE,
    sort_order  integer NOT NULL
);
COMMENT ON TABLE couriers IS 'the courier companies a shipper may pick (快递公司)';

INSERT INTO couriers (code, name, sort_order) VALUES
    ('sf',    '顺丰速运',    10),
    ('ems',   '中国邮政EMS', 20),
    ('jd',    '京东物流',    30),
    ('yto',   '圆通速递',    40),
    ('zto',   '中通快递',    50),
    ('sto',   '申通快递',    60),
    ('yunda', '韵达快递',    70);

CREATE TABLE order_shipments (
    order_id        text PRIMARY KEY REFERENCES orders ON DELETE CASCADE,
    method          text NOT NULL CHECK (method IN ('express', 'pickup')),
    courier         text REFERENCES couriers,
    tracking_no     text CHECK (tracking_no ~ '^[A-Z0-9]{6,40}$'),
    picked_up_by    text CHECK (char_length(picked_up_by) <= 50 AND btrim(picked_up_by) <> ''),
    staff_id        bigint NOT NULL REFERENCES staff,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((method = 'express') = (courier IS NOT NULL AND tracking_no IS NOT NULL)),
    CHECK (method = 'pickup' OR picked_up_by IS NULL)
);
COMMENT ON TABLE order_shipments IS 'how an order''s key left the hall: by courier (快递寄出) or fetched at the pickup point (受理点自取); written just before the transition it allows';
COMMENT ON COLUMN order_shipments.courier IS 'express: the courier company';
COMMENT ON COLUMN order_shipments.tracking_no IS 'express: the tracking number (运单号), upper-case letters and digits';
COMMENT ON COLUMN order_shipments.picked_up_by IS 'pickup: who fetched it, if the shipper noted it';
COMMENT ON COLUMN order_shipments.staff_id IS 'the shipper who recorded it';

-- written only while the order waits for it (pending_shipment): once the
-- key has left, what was recorded is history
CREATE FUNCTION order_shipments_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_state text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.order_id <> OLD.order_id THEN
        RAISE EXCEPTION 'a shipment stays with its order'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT o.state INTO v_state FROM orders o WHERE o.id = NEW.order_id FOR SHARE;
    IF NOT FOUND THEN
        RETURN NEW;             -- the foreign key refuses it
    END IF;
    IF v_state <> 'pending_shipment' THEN
        PERFORM raise_api_error('CH409', 'order_not_awaiting_shipment',
                                format('订单当前状态为“%s”，不能登记寄出或自取',
                                       (SELECT name FROM order_states WHERE code = v_state)));
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION order_shipments_guard() IS 'order_shipments is written only while the order is pending_shipment (CH409 order_not_awaiting_shipment)';

CREATE TRIGGER order_shipments_guard BEFORE INSERT OR UPDATE ON order_shipments
    FOR EACH ROW EXECUTE FUNCTION order_shipments_guard();

-- The shipment's message names the courier and the number -------------------

-- The back office passes "顺丰速运 SF1234567890" as the reason; the
-- message says {reason}, so the reason is required (a message never says
-- {reason} where the machine lets it be empty).
UPDATE order_transitions
   SET message_title = '证书已寄出',
       message_body = '您的订单{order_id}的证书已寄出（{reason}），收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。',
       reason_required = true
 WHERE (from_state, to_state, actor_kind) = ('pending_shipment', 'shipped', 'shipper');

-- The invariants of the back office, whoever moves the order --------------------

-- The current transfer voucher of an order (NULL if none), and the
-- decision on it (NULL while not judged).
CREATE FUNCTION order_voucher(p_order_id text, OUT material_id bigint, OUT decision text,
                              OUT payer_name text)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT m.id, r.decision, r.payer_name
    FROM (SELECT 1) one
    LEFT JOIN materials m ON m.order_id = p_order_id AND m.kind = 'transfer_voucher'
                         AND m.replaced_at IS NULL
    LEFT JOIN voucher_reviews r ON r.material_id = m.id
$$;
COMMENT ON FUNCTION order_voucher(text) IS 'the order''s current transfer voucher and finance''s decision on it (NULLs: none, not judged)';

-- What a transition needs that the back office records first:
--   pending_review -> pending_shipment  a current voucher must be confirmed
--       by finance.  A voucher finance refused counts as none: the order
--       can only be under review again because it was paid otherwise
--       (back to Alipay: pending_voucher -> pending_payment -> paid), since
--       the applicant's way back to review is a new voucher.
--   pending_shipment -> shipped          an express shipment recorded
--   pending_shipment -> pending_invoice  a pickup recorded
--   and both of those, unless the service is unlock (the same key goes
--   back): the certificate issued for the order recorded.
-- A BEFORE UPDATE trigger, like orders_submission_check (0005): it holds
-- for order_transition() whoever calls it.
CREATE FUNCTION orders_backoffice_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v record;
BEGIN
    IF OLD.state = 'pending_review' AND NEW.state = 'pending_shipment' THEN
        v := order_voucher(NEW.id);
        IF v.material_id IS NOT NULL AND v.decision IS DISTINCT FROM 'confirmed'
           AND v.decision IS DISTINCT FROM 'refused'
        THEN
            PERFORM raise_api_error('CH409', 'voucher_unconfirmed',
                                    '转账凭证尚未经财务确认，不能审核通过');
        END IF;
    ELSIF OLD.state = 'pending_shipment' AND NEW.state IN ('shipped', 'pending_invoice') THEN
        PERFORM FROM order_shipments s
        WHERE s.order_id = NEW.id
          AND s.method = CASE NEW.state WHEN 'shipped' THEN 'express' ELSE 'pickup' END;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH409', 'shipment_missing',
                                    CASE NEW.state WHEN 'shipped' THEN '请先登记快递公司和运单号'
                                                   ELSE '请先登记受理点自取' END);
        END IF;
        IF NEW.service <> 'unlock' THEN
            PERFORM FROM certificates c WHERE c.order_id = NEW.id;
            IF NOT FOUND THEN
                PERFORM raise_api_error('CH409', 'certificate_required', '请先登记签发的证书');
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION orders_backoffice_check() IS
    'an approval needs a confirmed voucher (if one is current and not refused); shipping or a pickup needs its order_shipments row and, unless unlock, the issued certificate (CH409)';

CREATE TRIGGER orders_backoffice_check BEFORE UPDATE OF state ON orders
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION orders_backoffice_check();

-- Helpers of the admin functions ----------------------------------------------

CREATE SCHEMA admin;
COMMENT ON SCHEMA admin IS 'functions the back office (certhall-admin) calls; refusals raise CHnnn like the api functions';

-- blanks of every kind, for trimming what staff type
CREATE FUNCTION staff_text(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN nullif(btrim(p_text, E' \t\r\n\u3000'), '');
COMMENT ON FUNCTION staff_text(text) IS 'a typed text trimmed of blanks (full-width spaces too); NULL if nothing is left';

-- the login as looked up and locked: logins are lower-case, what is typed
-- may not be; bounded, so a flood of long guesses cannot bloat the lock table
CREATE FUNCTION staff_login_key(p_login text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN left(lower(coalesce(staff_text(p_login), '')), 64);
COMMENT ON FUNCTION staff_login_key(text) IS 'a typed login as looked up and counted: trimmed, lower-cased, at most 64 characters';

CREATE FUNCTION staff_audit_add(p_staff_id bigint, p_login text, p_action text, p_order_id text,
                                p_subject text, p_before jsonb, p_after jsonb, p_detail text,
                                p_client inet)
RETURNS void
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    INSERT INTO staff_audit (staff_id, login, action, order_id, subject, before, after, detail, client_addr)
    VALUES (p_staff_id, left(p_login, 100), p_action, p_order_id, p_subject, p_before, p_after,
            p_detail, p_client)
$$;
COMMENT ON FUNCTION staff_audit_add(bigint, text, text, text, text, jsonb, jsonb, text, inet) IS
    'appends one staff_audit row (in the caller''s transaction)';

-- the roles of a member, in the roles' order
CREATE FUNCTION staff_roles_of(p_staff_id bigint)
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
CREATE FUNCTION staff_require_role(p_roles text[], p_role text)
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

-- An order for the back office: locked for an action, CH404 if none
CREATE FUNCTION staff_order(p_order_id text, p_lock boolean DEFAULT false)
RETURNS orders
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o orders;
BEGIN
    IF p_lock THEN
        SELECT * INTO o FROM orders WHERE id = p_order_id FOR UPDATE;
    ELSE
        SELECT * INTO o FROM orders WHERE id = p_order_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'order_not_found', '订单不存在');
    END IF;
    RETURN o;
END
$$;
COMMENT ON FUNCTION staff_order(text, boolean) IS 'the order (locked FOR UPDATE if asked), or CH404 order_not_found';

CREATE FUNCTION order_state_label(p_state text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
RETURN (SELECT name FROM order_states WHERE code = p_state);
COMMENT ON FUNCTION order_state_label(text) IS 'the name of a state (待审核...), for refusals that name it';

-- The checks of a member's name and roles, shared by admin.staff_create,
-- admin.staff_update and staff_add: the name trimmed, the roles folded
-- and in their order.
CREATE FUNCTION staff_checked(p_name text, p_roles text[], OUT name text, OUT roles text[])
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
CREATE FUNCTION staff_insert(p_login text, p_name text, p_roles text[], p_password_hash text,
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
CREATE FUNCTION staff_locked_message()
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
CREATE FUNCTION admin.login_begin(p_login text, OUT status integer, OUT message text,
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
CREATE FUNCTION admin.login_finish(p_login text, p_hash text, p_ok boolean, p_client inet,
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
CREATE FUNCTION admin.session(p_token text, p_csrf text, p_write boolean,
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
CREATE FUNCTION admin.logout(p_token text, p_csrf text, p_client inet)
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
CREATE FUNCTION staff_acting(p_token text, p_csrf text, p_role text,
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

-- Reviewing -------------------------------------------------------------------

-- One approval by a reviewer: the transition and its audit row.  Shared
-- by admin.approve and admin.bulk_approve.
CREATE FUNCTION staff_approve(p_staff_id bigint, p_login text, p_client inet, p_order_id text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o      orders := staff_order(p_order_id, true);
    v_from text := o.state;
BEGIN
    o := order_transition(o.id, 'pending_shipment', 'reviewer', p_staff_id);
    PERFORM staff_audit_add(p_staff_id, p_login, 'approve', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state), NULL, p_client);
    RETURN o.state;
END
$$;
COMMENT ON FUNCTION staff_approve(bigint, text, inet, text) IS 'a reviewer''s approval of one order, audited; returns the new state';

CREATE FUNCTION admin.approve(p_token text, p_csrf text, p_client inet, p_order_id text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s record := staff_acting(p_token, p_csrf, 'reviewer');
BEGIN
    RETURN staff_approve(s.staff_id, s.login, p_client, p_order_id);
END
$$;
COMMENT ON FUNCTION admin.approve(text, text, inet, text) IS
    '审核通过 (reviewer): pending_review -> pending_shipment; CH409 illegal_transition, voucher_unconfirmed; returns the new state';

-- 审核不通过: the reason the applicant reads names the files to upload
-- again, in the kinds' order, so the message and the timeline say it
-- without the applicant opening anything else.
CREATE FUNCTION admin.reject(p_token text, p_csrf text, p_client inet, p_order_id text,
                             p_reason text, p_kinds text[])
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'reviewer');
    v_reason text := staff_text(p_reason);
    o        orders;
    v_from   text;
    v_kinds  text[];
    v_names  text;
    v_text   text;
BEGIN
    IF v_reason IS NULL THEN
        PERFORM raise_api_error('CH422', 'reason_required', '请填写审核不通过的原因', 'reason');
    ELSIF char_length(v_reason) > 300 THEN
        PERFORM raise_api_error('CH422', 'reason_too_long', '原因不能超过300个字', 'reason');
    END IF;

    o := staff_order(p_order_id, true);
    v_from := o.state;

    IF EXISTS (SELECT FROM unnest(p_kinds) k
               WHERE k IS NULL OR NOT EXISTS (
                   SELECT FROM project_service_materials psm
                   WHERE (psm.project_code, psm.service, psm.cert_type) = (o.project_code, o.service, o.cert_type)
                     AND psm.material_kind = k))
    THEN
        PERFORM raise_api_error('CH422', 'unknown_material', '所选资料不属于该订单', 'kinds');
    END IF;
    SELECT coalesce(array_agg(mk.code ORDER BY mk.sort_order), '{}'),
           string_agg(mk.name, '、' ORDER BY mk.sort_order)
      INTO v_kinds, v_names
    FROM material_kinds mk WHERE mk.code = ANY (p_kinds);

    v_text := v_reason || coalesce('（需重新上传：' || v_names || '）', '');
    o := order_transition(o.id, 'rejected', 'reviewer', s.staff_id, v_text);

    -- the event just written: the order is locked, so it is the newest
    INSERT INTO order_rejections (event_id, order_id, kinds)
    SELECT max(e.id), o.id, v_kinds FROM order_events e WHERE e.order_id = o.id;

    PERFORM staff_audit_add(s.staff_id, s.login, 'reject', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state, 'kinds', to_jsonb(v_kinds)),
                            v_text, p_client);
    RETURN o.state;
END
$$;
COMMENT ON FUNCTION admin.reject(text, text, inet, text, text, text[]) IS
    '审核不通过 (reviewer): pending_review -> rejected with the reason (and the files to upload again); CH422 reason_required, reason_too_long, unknown_material';

-- Many approvals at once: each order in a subtransaction of its own, so
-- one that cannot be approved (another reviewer was first, the voucher is
-- not confirmed) is reported and the others go on.  The orders are taken
-- in the order of their ids, not of the selection: an approved order stays
-- locked until the end, and two reviewers approving overlapping selections
-- must lock in the same order, or each could wait for the other
-- (a deadlock, which would fail both requests).
CREATE FUNCTION admin.bulk_approve(p_token text, p_csrf text, p_client inet, p_order_ids text[])
RETURNS TABLE (order_id text, ok boolean, message text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s          record := staff_acting(p_token, p_csrf, 'reviewer');
    v_ids      text[];
    v_id       text;
    v_answers  jsonb := '{}';
    v_sqlstate text;
    v_message  text;
BEGIN
    -- blanks dropped, duplicates folded, the order of the selection kept
    SELECT array_agg(x.id ORDER BY x.n) INTO v_ids
    FROM (SELECT DISTINCT ON (btrim(u.id)) btrim(u.id) AS id, u.n
          FROM unnest(p_order_ids) WITH ORDINALITY AS u (id, n)
          WHERE staff_text(u.id) IS NOT NULL
          ORDER BY btrim(u.id), u.n) x;
    IF v_ids IS NULL THEN
        PERFORM raise_api_error('CH422', 'selection_empty', '请选择要审核的订单', 'order_ids');
    ELSIF cardinality(v_ids) > 100 THEN
        PERFORM raise_api_error('CH422', 'selection_too_large', '一次最多审核100个订单', 'order_ids');
    END IF;

    FOR v_id IN SELECT x FROM unnest(v_ids) x ORDER BY x LOOP
        BEGIN
            PERFORM staff_approve(s.staff_id, s.login, p_client, v_id);
            v_answers := v_answers || jsonb_build_object(v_id, jsonb_build_array(true, '已审核通过'));
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
            -- a refusal is this order's answer; anything else is a bug,
            -- and stops the whole request
            IF v_sqlstate NOT LIKE 'CH%' THEN
                RAISE;
            END IF;
            v_answers := v_answers || jsonb_build_object(v_id, jsonb_build_array(false, v_message));
        END;
    END LOOP;

    RETURN QUERY
        SELECT u.id, (v_answers->u.id->>0)::boolean, v_answers->u.id->>1
        FROM unnest(v_ids) WITH ORDINALITY AS u (id, n)
        ORDER BY u.n;
END
$$;
COMMENT ON FUNCTION admin.bulk_approve(text, text, inet, text[]) IS
    '批量审核通过 (reviewer): 1 to 100 orders, each approved or not on its own: (order_id, ok, message); CH422 selection_empty, selection_too_large';

-- Finance ----------------------------------------------------------------------

-- A payer's or applicant's name as compared: no blanks of any kind
-- (full-width and no-break ones too), full-width brackets as ASCII ones,
-- which is how the same name differs between a bank's voucher and a form.
CREATE FUNCTION payer_name_key(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN translate(regexp_replace(p_name, '[[:space:]\u00a0\u2000-\u200b\u3000\ufeff]', '', 'g'),
                 '（）', '()');
COMMENT ON FUNCTION payer_name_key(text) IS 'a name as the voucher check compares it: without blanks, （） as ()';

-- The voucher finance may judge: the order under review, a current voucher
-- not judged yet.  The order is locked.
CREATE FUNCTION staff_voucher(p_order_id text, p_what text, OUT o orders, OUT material_id bigint)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v record;
BEGIN
    o := staff_order(p_order_id, true);
    v := order_voucher(o.id);
    IF v.material_id IS NULL THEN
        PERFORM raise_api_error('CH409', 'no_voucher', '该订单没有转账凭证');
    ELSIF o.state <> 'pending_review' THEN
        PERFORM raise_api_error('CH409', 'no_voucher',
                                format('订单当前状态为“%s”，没有待%s的转账凭证',
                                       order_state_label(o.state), p_what));
    ELSIF v.decision = 'confirmed' THEN
        PERFORM raise_api_error('CH409', 'voucher_already_confirmed', '该转账凭证已确认');
    ELSIF v.decision IS NOT NULL THEN
        PERFORM raise_api_error('CH409', 'voucher_already_confirmed', '该转账凭证已退回');
    END IF;
    material_id := v.material_id;
END
$$;
COMMENT ON FUNCTION staff_voucher(text, text) IS
    'the order (locked) and its current voucher if finance may judge it now: CH404, CH409 no_voucher, voucher_already_confirmed';

-- 确认转账凭证: the money came from the applicant, for the order's amount.
-- The state does not change: the order stays with the reviewers, who may
-- now approve it.
CREATE FUNCTION admin.voucher_confirm(p_token text, p_csrf text, p_client inet, p_order_id text,
                                      p_payer text, p_amount_fen bigint)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         record := staff_acting(p_token, p_csrf, 'finance');
    v         record := staff_voucher(p_order_id, '确认');
    o         orders := v.o;
    v_payer   text := staff_text(p_payer);
    v_applicant text;
BEGIN
    SELECT coalesce(i.org_name, i.person_name) INTO v_applicant
    FROM order_info i WHERE i.order_id = o.id;
    IF v_payer IS NULL OR char_length(v_payer) > 100
       OR payer_name_key(v_payer) IS DISTINCT FROM payer_name_key(v_applicant)
    THEN
        PERFORM raise_api_error('CH422', 'payer_mismatch',
                                format('付款单位名称与申请单位名称不一致（申请单位：%s），请退回转账凭证',
                                       v_applicant), 'payer');
    END IF;
    IF p_amount_fen IS DISTINCT FROM o.amount_fen THEN
        PERFORM raise_api_error('CH422', 'amount_mismatch',
                                format('转账金额与订单金额不一致（订单金额：%s元）',
                                       to_char(o.amount_fen / 100.0, 'FM999999999990.00')), 'amount');
    END IF;

    INSERT INTO voucher_reviews (order_id, material_id, decision, payer_name, amount_fen, staff_id)
    VALUES (o.id, v.material_id, 'confirmed', v_payer, p_amount_fen, s.staff_id);
    PERFORM staff_audit_add(s.staff_id, s.login, 'voucher_confirm', o.id, v.material_id::text,
                            jsonb_build_object('voucher', 'pending'),
                            jsonb_build_object('voucher', 'confirmed', 'payer', v_payer,
                                               'amount_fen', p_amount_fen),
                            NULL, p_client);
    RETURN o.state;
END
$$;
COMMENT ON FUNCTION admin.voucher_confirm(text, text, inet, text, text, bigint) IS
    '确认转账凭证 (finance): payer and amount checked against the order (CH422 payer_mismatch, amount_mismatch; CH409 no_voucher, voucher_already_confirmed); the state stays';

-- 退回转账凭证: the applicant uploads a new one (pending_voucher)
CREATE FUNCTION admin.voucher_refuse(p_token text, p_csrf text, p_client inet, p_order_id text,
                                     p_reason text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'finance');
    v        record := staff_voucher(p_order_id, '退回');
    o        orders := v.o;
    v_reason text := staff_text(p_reason);
BEGIN
    -- the machine requires it too; checked first, as the review keeps it
    IF v_reason IS NULL THEN
        PERFORM raise_api_error('CH422', 'reason_required', '请填写原因', 'reason');
    ELSIF char_length(v_reason) > 500 THEN
        PERFORM raise_api_error('CH422', 'reason_too_long', '原因不能超过500个字', 'reason');
    END IF;
    -- the review first: it is written while the order is under review
    INSERT INTO voucher_reviews (order_id, material_id, decision, reason, staff_id)
    VALUES (o.id, v.material_id, 'refused', v_reason, s.staff_id);
    o := order_transition(o.id, 'pending_voucher', 'finance', s.staff_id, v_reason);
    PERFORM staff_audit_add(s.staff_id, s.login, 'voucher_refuse', o.id, v.material_id::text,
                            jsonb_build_object('state', 'pending_review', 'voucher', 'pending'),
                            jsonb_build_object('state', o.state, 'voucher', 'refused'),
                            v_reason, p_client);
    RETURN o.state;
END
$$;
COMMENT ON FUNCTION admin.voucher_refuse(text, text, inet, text, text) IS
    '退回转账凭证 (finance): pending_review -> pending_voucher with the reason; CH409 no_voucher, voucher_already_confirmed; CH422 reason_required';

-- Shipping ---------------------------------------------------------------------

CREATE FUNCTION staff_awaiting_shipment(o orders, p_what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF o.state <> 'pending_shipment' THEN
        PERFORM raise_api_error('CH409', 'order_not_awaiting_shipment',
                                format('订单当前状态为“%s”，不能%s', order_state_label(o.state), p_what));
    END IF;
END
$$;
COMMENT ON FUNCTION staff_awaiting_shipment(orders, text) IS 'CH409 order_not_awaiting_shipment unless the order is pending_shipment';

-- 登记证书: the certificate issued for the order, before the key leaves.
-- Recorded again while the order still waits (a typo corrected), it is
-- updated, not duplicated: certificates.order_id is unique.
CREATE FUNCTION admin.certificate_record(p_token text, p_csrf text, p_client inet, p_order_id text,
                                         p_serial text, p_valid_from date, p_valid_to date)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'shipper');
    o        orders := staff_order(p_order_id, true);
    v_serial text := upper(staff_text(p_serial));
    v_name   text;
    c        certificates;
    v_before jsonb;
    v_after  jsonb;
BEGIN
    PERFORM staff_awaiting_shipment(o, '登记证书');
    IF o.service = 'unlock' THEN
        PERFORM raise_api_error('CH409', 'certificate_not_needed', '解锁业务寄回原证书，无需登记新证书');
    END IF;
    IF v_serial IS NULL OR v_serial !~ '^[0-9A-F]{8,40}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_serial', '证书序列号应为8至40位十六进制数字', 'serial');
    END IF;
    IF p_valid_from IS NULL THEN
        PERFORM raise_api_error('CH422', 'invalid_validity', '请填写有效期起始日期', 'valid_from');
    ELSIF p_valid_to IS NULL OR p_valid_to <= p_valid_from THEN
        PERFORM raise_api_error('CH422', 'invalid_validity', '有效期截止日期应晚于起始日期', 'valid_to');
    END IF;
    PERFORM FROM certificates x WHERE x.serial = v_serial AND x.order_id IS DISTINCT FROM o.id;
    IF FOUND THEN
        PERFORM raise_api_error('CH409', 'serial_taken', '该证书序列号已登记', 'serial');
    END IF;

    SELECT coalesce(i.org_name, i.person_name) INTO STRICT v_name FROM order_info i WHERE i.order_id = o.id;
    SELECT * INTO c FROM certificates x WHERE x.order_id = o.id FOR UPDATE;
    IF FOUND THEN
        v_before := jsonb_build_object('serial', c.serial,
                                       'valid_from', (c.valid_from AT TIME ZONE 'Asia/Shanghai')::date,
                                       'valid_to', (c.valid_to AT TIME ZONE 'Asia/Shanghai')::date);
    END IF;
    -- Beijing days: from the first second of the first to the last of the last
    INSERT INTO certificates AS x (account_id, project_code, cert_type, serial, name,
                                   valid_from, valid_to, order_id)
    VALUES (o.account_id, o.project_code, o.cert_type, v_serial, v_name,
            p_valid_from::timestamp AT TIME ZONE 'Asia/Shanghai',
            (p_valid_to + time '23:59:59') AT TIME ZONE 'Asia/Shanghai', o.id)
    ON CONFLICT (order_id) DO UPDATE
       SET serial = EXCLUDED.serial, name = EXCLUDED.name,
           valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to;
    v_after := jsonb_build_object('serial', v_serial, 'valid_from', p_valid_from, 'valid_to', p_valid_to);

    PERFORM staff_audit_add(s.staff_id, s.login, 'certificate', o.id, v_serial, v_before, v_after,
                            NULL, p_client);
    RETURN o.state;
END
$$;
COMMENT ON FUNCTION admin.certificate_record(text, text, inet, text, text, date, date) IS
    '登记证书 (shipper): the certificate issued for a pending_shipment order, inserted or corrected; CH409 order_not_awaiting_shipment, serial_taken, certificate_not_needed (unlock); CH422 invalid_serial, invalid_validity';

-- 快递寄出: the shipment, then the transition whose message names it
CREATE FUNCTION admin.ship(p_token text, p_csrf text, p_client inet, p_order_id text,
                           p_courier text, p_tracking_no text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s          record := staff_acting(p_token, p_csrf, 'shipper');
    o          orders := staff_order(p_order_id, true);
    v_courier  couriers;
    v_number   text := upper(staff_text(p_tracking_no));
    v_from     text := o.state;
BEGIN
    IF o.delivery_method IS DISTINCT FROM 'express' THEN
        PERFORM raise_api_error('CH409', 'not_express', '该订单选择受理点自取，请登记自取');
    END IF;
    SELECT * INTO v_courier FROM couriers c WHERE c.code = p_courier;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH422', 'unknown_courier', '请选择快递公司', 'courier');
    END IF;
    IF v_number IS NULL OR v_number !~ '^[A-Z0-9]{6,40}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_tracking_no', '运单号应为6至40位字母或数字', 'tracking_no');
    END IF;
    PERFORM staff_awaiting_shipment(o, '登记寄出');

    INSERT INTO order_shipments AS x (order_id, method, courier, tracking_no, staff_id)
    VALUES (o.id, 'express', v_courier.code, v_number, s.staff_id)
    ON CONFLICT (order_id) DO UPDATE
       SET method = 'express', courier = EXCLUDED.courier, tracking_no = EXCLUDED.tracking_no,
           picked_up_by = NULL, staff_id = EXCLUDED.staff_id, recorded_at = now();
    o := order_transition(o.id, 'shipped', 'shipper', s.staff_id, v_courier.name || ' ' || v_number);

    PERFORM staff_audit_add(s.staff_id, s.login, 'ship', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state, 'courier', v_courier.code,
                                               'tracking_no', v_number),
                            v_courier.name || ' ' || v_number, p_client);
    RETURN o.state;
END
$$;
COMMENT ON FUNCTION admin.ship(text, text, inet, text, text, text) IS
    '快递寄出 (shipper): courier and tracking number, pending_shipment -> shipped; CH409 not_express, order_not_awaiting_shipment, certificate_required; CH422 unknown_courier, invalid_tracking_no';

-- 受理点自取
CREATE FUNCTION admin.pickup(p_token text, p_csrf text, p_client inet, p_order_id text,
                             p_picked_up_by text)
RETURNS text
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       record := staff_acting(p_token, p_csrf, 'shipper');
    o       orders := staff_order(p_order_id, true);
    v_who   text := staff_text(p_picked_up_by);
    v_from  text := o.state;
BEGIN
    IF o.delivery_method IS DISTINCT FROM 'pickup' THEN
        PERFORM raise_api_error('CH409', 'not_pickup', '该订单选择快递邮寄，请登记快递寄出');
    END IF;
    IF char_length(v_who) > 50 THEN
        PERFORM raise_api_error('CH422', 'invalid_picked_up_by', '领取人不能超过50个字', 'picked_up_by');
    END IF;
    PERFORM staff_awaiting_shipment(o, '登记自取');

    INSERT INTO order_shipments AS x (order_id, method, picked_up_by, staff_id)
    VALUES (o.id, 'pickup', v_who, s.staff_id)
    ON CONFLICT (order_id) DO UPDATE
       SET method = 'pickup', courier = NULL, tracking_no = NULL,
           picked_up_by = EXCLUDED.picked_up_by, staff_id = EXCLUDED.staff_id, recorded_at = now();
    o := order_transition(o.id, 'pending_invoice', 'shipper', s.staff_id);

    PERFORM staff_audit_add(s.staff_id, s.login, 'pickup', o.id, NULL,
                            jsonb_build_object('state', v_from),
                            jsonb_build_object('state', o.state, 'picked_up_by', v_who),
                            NULL, p_client);
    RETURN o.state;
END
$$;
COMMENT ON FUNCTION admin.pickup(text, text, inet, text, text) IS
    '受理点自取 (shipper): pending_shipment -> pending_invoice; CH409 not_pickup, order_not_awaiting_shipment, certificate_required; CH422 invalid_picked_up_by';

-- Reads -------------------------------------------------------------------------

-- The orders the queue's filters select (all states when p_state is
-- NULL), shared by admin.queue and admin.queue_counts so the counts are
-- of the rows listed.  p_q is classified by its shape:
--   UO + digits      a prefix of the order id
--   11 digits        the account's phone or the information's mobile
--   a USCC           exactly the organisation's code
--   anything else    a part of the organisation's or the person's name
CREATE FUNCTION staff_queue_ids(p_state text, p_project text, p_service text, p_cert_type text,
                                p_from date, p_to date, p_q text)
RETURNS TABLE (order_id text)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    WITH q AS (
        SELECT v, CASE WHEN upper(v) ~ '^UO[0-9]{0,18}$' THEN 'id'
                       WHEN v ~ '^[0-9]{11}$' THEN 'phone'
                       WHEN upper(v) ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$' THEN 'uscc'
                       WHEN v IS NOT NULL THEN 'name' END AS kind
        FROM (SELECT staff_text(p_q) AS v) x
    )
    SELECT o.id
    FROM q, orders o
    JOIN accounts a ON a.id = o.account_id
    LEFT JOIN order_info i ON i.order_id = o.id
    WHERE (nullif(p_state, '') IS NULL OR o.state = p_state)
      AND (nullif(p_project, '') IS NULL OR o.project_code = p_project)
      AND (nullif(p_service, '') IS NULL OR o.service = p_service)
      AND (nullif(p_cert_type, '') IS NULL OR o.cert_type = p_cert_type)
      -- the submission's Beijing day; drafts (never submitted) by creation
      AND (p_from IS NULL OR coalesce(o.submitted_at, o.created_at)
                             >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND (p_to IS NULL OR coalesce(o.submitted_at, o.created_at)
                           < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND CASE q.kind
              WHEN 'id' THEN o.id LIKE upper(q.v) || '%'
              WHEN 'phone' THEN a.phone = q.v OR i.mobile = q.v
              WHEN 'uscc' THEN i.uscc = upper(q.v)
              WHEN 'name' THEN coalesce(i.org_name || ' ', '') || i.person_name
                               ILIKE '%' || like_escape(q.v) || '%'
              ELSE true
          END
$$;
COMMENT ON FUNCTION staff_queue_ids(text, text, text, text, date, date, text) IS
    'the ids of the orders the back office''s queue filters select (NULL or empty: all)';

-- 订单列表: oldest waiting first, a page at a time, with the total
CREATE FUNCTION admin.queue(p_state text, p_project text, p_service text, p_cert_type text,
                            p_from date, p_to date, p_q text, p_limit integer, p_offset integer)
RETURNS TABLE (id text, state text, state_name text, project_name text, service_name text,
               cert_type_name text, applicant text, uscc text, phone text, amount_fen bigint,
               delivery_method text, submitted_at timestamptz, state_entered_at timestamptz,
               total bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT o.id, o.state, order_state_name(st.name, o.state, o.delivery_method),
           p.name, sv.name, ct.name, coalesce(i.org_name, i.person_name), i.uscc, a.phone,
           o.amount_fen, o.delivery_method, o.submitted_at, o.state_entered_at,
           count(*) OVER ()
    FROM staff_queue_ids(p_state, p_project, p_service, p_cert_type, p_from, p_to, p_q) f
    JOIN orders o ON o.id = f.order_id
    JOIN accounts a ON a.id = o.account_id
    JOIN order_states st ON st.code = o.state
    JOIN projects p ON p.code = o.project_code
    JOIN services sv ON sv.code = o.service
    JOIN cert_types ct ON ct.code = o.cert_type
    LEFT JOIN order_info i ON i.order_id = o.id
    ORDER BY o.state_entered_at, o.id
    LIMIT least(greatest(coalesce(p_limit, 50), 1), 500)
    OFFSET greatest(coalesce(p_offset, 0), 0)
$$;
COMMENT ON FUNCTION admin.queue(text, text, text, text, date, date, text, integer, integer) IS
    'the back office''s order list: filters (NULL/empty = all), p_q by shape (UO prefix, phone, USCC, name), oldest in its state first; total = all matching rows';

CREATE FUNCTION admin.queue_counts(p_project text, p_service text, p_cert_type text,
                                   p_from date, p_to date, p_q text)
RETURNS TABLE (state text, name text, n bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT st.code, st.name, count(o.id)
    FROM order_states st
    LEFT JOIN (staff_queue_ids(NULL, p_project, p_service, p_cert_type, p_from, p_to, p_q) f
               JOIN orders o ON o.id = f.order_id) ON o.state = st.code
    GROUP BY st.code, st.name, st.sort_order
    ORDER BY st.code <> 'pending_review', st.sort_order
$$;
COMMENT ON FUNCTION admin.queue_counts(text, text, text, date, date, text) IS
    'how many orders of each state (every state, 0 too) the queue''s other filters select; pending_review first';

CREATE FUNCTION admin.order_detail(p_order_id text)
RETURNS TABLE (id text, state text, state_name text, project_code text, project_name text,
               service text, service_name text, cert_type text, cert_type_name text,
               account_phone text, realname_name text, created_at timestamptz,
               submitted_at timestamptz, state_entered_at timestamptz, amount_fen bigint,
               price_fen bigint, org_name text, uscc text, handler_name text, person_name text,
               person_id_masked text, mobile text, email text, invoice_title_type text,
               invoice_title text, invoice_taxpayer_id text, invoice_email text,
               invoice_mobile text, invoice_remark text, delivery_method text,
               delivery_recipient text, delivery_mobile text, delivery_region text,
               delivery_detail text, delivery_postal_code text, pickup_name text,
               pickup_address text, transfer_payee text, transfer_bank text,
               transfer_account text, transfer_amount_fen bigint, voucher_state text,
               voucher_payer text, old_cert_serial text, old_cert_valid_to timestamptz,
               cert_serial text, cert_valid_from timestamptz, cert_valid_to timestamptz,
               courier_name text, tracking_no text, picked_up_by text, shipped_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT o.id, o.state, order_state_name(st.name, o.state, o.delivery_method),
               o.project_code, p.name, o.service, sv.name, o.cert_type, ct.name,
               a.phone, a.realname_name, o.created_at, o.submitted_at, o.state_entered_at,
               o.amount_fen::bigint, ps.price_fen::bigint,
               i.org_name, i.uscc, i.handler_name, i.person_name, i.person_id_masked, i.mobile, i.email,
               inv.title_type, inv.title, inv.taxpayer_id, inv.email, inv.mobile, inv.remark,
               o.delivery_method, o.delivery_recipient, o.delivery_mobile, o.delivery_region,
               o.delivery_detail, o.delivery_postal_code, pp.name, pp.address,
               t.payee, t.bank, t.account, t.amount_fen::bigint,
               CASE WHEN v.material_id IS NULL THEN 'none' ELSE coalesce(v.decision, 'pending') END,
               v.payer_name,
               oc.serial, oc.valid_to, nc.serial, nc.valid_from, nc.valid_to,
               cr.name, sh.tracking_no, sh.picked_up_by, sh.recorded_at
        FROM staff_order(p_order_id) o
        JOIN accounts a ON a.id = o.account_id
        JOIN order_states st ON st.code = o.state
        JOIN projects p ON p.code = o.project_code
        JOIN services sv ON sv.code = o.service
        JOIN cert_types ct ON ct.code = o.cert_type
        JOIN project_services ps USING (project_code, service, cert_type)
        CROSS JOIN order_voucher(o.id) v
        LEFT JOIN order_info i ON i.order_id = o.id
        LEFT JOIN order_invoice inv ON inv.order_id = o.id
        LEFT JOIN pickup_points pp ON pp.code = o.pickup_point
        LEFT JOIN order_transfers t ON t.order_id = o.id
        LEFT JOIN certificates oc ON oc.id = o.certificate_id
        LEFT JOIN certificates nc ON nc.order_id = o.id
        LEFT JOIN order_shipments sh ON sh.order_id = o.id
        LEFT JOIN couriers cr ON cr.code = sh.courier;
END
$$;
COMMENT ON FUNCTION admin.order_detail(text) IS
    'one order for the back office: applicant, information, invoice, delivery, transfer and voucher state, the certificate it is for and the one issued, the shipment; CH404 order_not_found';

CREATE FUNCTION admin.order_files(p_order_id text)
RETURNS TABLE (id bigint, kind text, kind_name text, original_name text, format text,
               media_type text, size_bytes bigint, width integer, height integer, pages integer,
               uploaded_at timestamptz, replaced_at timestamptz, replaced_by text,
               is_current boolean)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT m.id, m.kind, mk.name, m.original_name, m.format, material_media_type(m.format),
               m.size_bytes, m.width, m.height, m.pages, m.uploaded_at, m.replaced_at, m.replaced_by,
               m.replaced_at IS NULL
        FROM staff_order(p_order_id) o
        JOIN materials m ON m.order_id = o.id
        JOIN material_kinds mk ON mk.code = m.kind
        ORDER BY mk.sort_order, m.replaced_at IS NOT NULL, m.id DESC;
END
$$;
COMMENT ON FUNCTION admin.order_files(text) IS
    'every file of the order (the offer''s materials and the voucher), kind by kind, the current one first then the older ones newest first; CH404';

CREATE FUNCTION admin.order_kinds(p_order_id text)
RETURNS TABLE (kind text, name text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT mk.code, mk.name
        FROM staff_order(p_order_id) o
        JOIN project_service_materials psm USING (project_code, service, cert_type)
        JOIN material_kinds mk ON mk.code = psm.material_kind
        ORDER BY mk.sort_order;
END
$$;
COMMENT ON FUNCTION admin.order_kinds(text) IS 'the material kinds of the order''s offer, for the rejection form; CH404';

CREATE FUNCTION admin.order_timeline(p_order_id text)
RETURNS TABLE (at timestamptz, from_name text, to_name text, action_name text,
               actor_name text, staff_name text, reason text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT e.created_at, fs.name, ts.name, coalesce(t.action_name, '创建订单'), ak.name,
               CASE WHEN e.actor_kind IN ('reviewer', 'finance', 'shipper') THEN s.name END,
               e.reason
        FROM staff_order(p_order_id) o
        JOIN order_events e ON e.order_id = o.id
        JOIN order_states ts ON ts.code = e.to_state
        JOIN actor_kinds ak ON ak.code = e.actor_kind
        LEFT JOIN order_states fs ON fs.code = e.from_state
        LEFT JOIN order_transitions t
               ON (t.from_state, t.to_state, t.actor_kind) = (e.from_state, e.to_state, e.actor_kind)
        LEFT JOIN staff s ON s.id = e.actor_id AND e.actor_kind IN ('reviewer', 'finance', 'shipper')
        ORDER BY e.id;
END
$$;
COMMENT ON FUNCTION admin.order_timeline(text) IS 'the order''s events in order, with the staff member''s name for staff events; CH404';

-- What the member may do with the order now: the buttons of the order page.
-- The same rules as the actions themselves and the triggers.
CREATE FUNCTION admin.order_actions(p_order_id text, p_staff_id bigint)
RETURNS TABLE (action text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- the order first, on its own: in one query the planner may skip a
    -- relation (and its CH404) when another one it joins is empty
    PERFORM staff_order(p_order_id);
    RETURN QUERY
        SELECT a.action
        FROM staff_order(p_order_id) o
        CROSS JOIN order_voucher(o.id) v
        CROSS JOIN (SELECT staff_roles_of(p_staff_id) AS roles
                    WHERE EXISTS (SELECT FROM staff s WHERE s.id = p_staff_id AND s.active)) r
        CROSS JOIN LATERAL (VALUES
            (1, 'approve', 'reviewer' = ANY (r.roles) AND o.state = 'pending_review'
                           AND (v.material_id IS NULL OR v.decision IS NOT NULL)),
            (2, 'reject', 'reviewer' = ANY (r.roles) AND o.state = 'pending_review'),
            (3, 'voucher_confirm', 'finance' = ANY (r.roles) AND o.state = 'pending_review'
                                   AND v.material_id IS NOT NULL AND v.decision IS NULL),
            (4, 'voucher_refuse', 'finance' = ANY (r.roles) AND o.state = 'pending_review'
                                  AND v.material_id IS NOT NULL AND v.decision IS NULL),
            (5, 'certificate', 'shipper' = ANY (r.roles) AND o.state = 'pending_shipment'
                               AND o.service <> 'unlock'),
            (6, 'ship', 'shipper' = ANY (r.roles) AND o.state = 'pending_shipment'
                        AND o.delivery_method = 'express'),
            (7, 'pickup', 'shipper' = ANY (r.roles) AND o.state = 'pending_shipment'
                          AND o.delivery_method = 'pickup')) AS a (n, action, allowed)
        WHERE a.allowed
        ORDER BY a.n;
END
$$;
COMMENT ON FUNCTION admin.order_actions(text, bigint) IS
    'what the staff member may do with the order now: approve, reject, voucher_confirm, voucher_refuse, certificate, ship, pickup; CH404';

-- A stored file for the back office to send, once it is known to be the
-- order's; every view is audited (who looked at whose ID card).
CREATE FUNCTION admin.file(p_staff_id bigint, p_client inet, p_order_id text, p_material_id bigint,
                           OUT sha256 text, OUT media_type text, OUT format text,
                           OUT original_name text)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    m       materials;
    v_kind  text;
    v_login text;
BEGIN
    SELECT s.login INTO v_login FROM staff s WHERE s.id = p_staff_id AND s.active;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH401', 'not_logged_in', '请先登录');
    END IF;
    SELECT * INTO m FROM materials x WHERE x.id = p_material_id AND x.order_id = p_order_id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'file_not_found', '文件不存在');
    END IF;
    SELECT mk.name INTO STRICT v_kind FROM material_kinds mk WHERE mk.code = m.kind;
    PERFORM staff_audit_add(p_staff_id, v_login, 'file_view', m.order_id, m.id::text, NULL, NULL,
                            v_kind, p_client);
    sha256 := m.sha256;
    media_type := material_media_type(m.format);
    format := m.format;
    original_name := m.original_name;
END
$$;
COMMENT ON FUNCTION admin.file(bigint, inet, text, bigint) IS
    'which stored file to send for a material of the order (CH404 file_not_found otherwise); audited as file_view';

CREATE FUNCTION admin.audit(p_staff_id bigint, p_action text, p_order_id text, p_from date,
                            p_to date, p_limit integer, p_offset integer)
RETURNS TABLE (id bigint, at timestamptz, login text, staff_name text, action text,
               action_name text, order_id text, subject text, before text, after text,
               detail text, client_addr text, total bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT x.id, x.at, x.login, s.name, x.action, aa.name, x.order_id, x.subject,
           x.before::text, x.after::text, x.detail, host(x.client_addr), count(*) OVER ()
    FROM staff_audit x
    JOIN audit_actions aa ON aa.code = x.action
    LEFT JOIN staff s ON s.id = x.staff_id
    WHERE (p_staff_id IS NULL OR x.staff_id = p_staff_id)
      AND (nullif(p_action, '') IS NULL OR x.action = p_action)
      AND (nullif(p_order_id, '') IS NULL OR x.order_id = p_order_id)
      AND (p_from IS NULL OR x.at >= p_from::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND (p_to IS NULL OR x.at < (p_to + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
    ORDER BY x.at DESC, x.id DESC
    LIMIT least(greatest(coalesce(p_limit, 50), 1), 500)
    OFFSET greatest(coalesce(p_offset, 0), 0)
$$;
COMMENT ON FUNCTION admin.audit(bigint, text, text, date, date, integer, integer) IS
    'the audit trail, newest first, by member, action, order and Beijing days; total = all matching rows';

CREATE FUNCTION admin.staff_list()
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

CREATE FUNCTION staff_json(p_staff_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object('name', s.name, 'roles', to_jsonb(staff_roles_of(s.id)), 'active', s.active)
    FROM staff s WHERE s.id = p_staff_id
$$;
COMMENT ON FUNCTION staff_json(bigint) IS 'a member as the audit records a change: {name, roles, active}';

CREATE FUNCTION admin.staff_create(p_token text, p_csrf text, p_client inet, p_login text,
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

CREATE FUNCTION admin.staff_update(p_token text, p_csrf text, p_client inet, p_staff_id bigint,
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
CREATE FUNCTION staff_password_set(p_staff staff, p_password_hash text, p_keep_token text)
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

CREATE FUNCTION admin.staff_password(p_token text, p_csrf text, p_client inet, p_staff_id bigint,
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
CREATE FUNCTION staff_add(p_login text, p_name text, p_roles text[], p_password_hash text)
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

CREATE FUNCTION staff_set_password(p_login text, p_password_hash text)
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
