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

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

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

-- The shipment's message names the courier and the number -------------------

-- The back office passes "顺丰速运 SF1234567890" as the reason; the
-- message says {reason}, so the reason is required (a message never says
-- {reason} where the machine lets it be empty).
UPDATE order_transitions
   SET message_title = '证书已寄出',
       message_body = '您的订单{order_id}的证书已寄出（{reason}），收到证书并核对无误后请点击“确认收货”；寄出30天后将自动确认收货。',
       reason_required = true
 WHERE (from_state, to_state, actor_kind) = ('pending_shipment', 'shipped', 'shipper');

-- Helpers of the admin functions ----------------------------------------------

CREATE SCHEMA admin;
COMMENT ON SCHEMA admin IS 'functions the back office (certhall-admin) calls; refusals raise CHnnn like the api functions';
