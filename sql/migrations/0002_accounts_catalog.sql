-- Schema v1, part 1: applicant accounts and the catalog (projects, the
-- services and certificate types they offer, prices, and the materials each
-- one asks for), with the catalog's JSON for GET /api/projects.
--
-- Closed sets of codes: a lookup table where the codes carry data the
-- screens show (Chinese names, sort order, prices, messages) and a foreign
-- key to it; a plain CHECK where the set is internal to one table (the
-- real-name status).  Not enum types: adding a value is then an INSERT in a
-- migration (and removing one is possible at all), the labels live beside
-- the code, and the website can read the set instead of hard-coding it.
--
-- Codes are stable lower_snake English; they are what the API and the
-- programs use.  Chinese is for people and may be reworded freely.

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

SET LOCAL timezone = 'Asia/Shanghai';

-- Accounts ------------------------------------------------------------------

CREATE TABLE accounts (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- mainland mobile number, the login name; 11 digits starting 13-19
    phone                   text NOT NULL UNIQUE
                            CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    password_hash           text,
    realname_status         text NOT NULL DEFAULT 'none'
                            CHECK (realname_status IN ('none', 'pending', 'verified')),
    realname_name           text CHECK (btrim(realname_name) <> ''),
    -- the ID number as shown on screens (e.g. 430102********123X); the full
    -- number is never kept here, the pattern makes sure of it
    realname_id_masked      text CHECK (realname_id_masked ~ '^[0-9]{1,6}[*]{6,}[0-9]{0,3}[0-9X]$'
                                        AND char_length(realname_id_masked) IN (15, 18)),
    realname_verified_at    timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    -- verified means the provider told us who it is
    CHECK ((realname_status = 'verified') =
           (realname_verified_at IS NOT NULL AND realname_name IS NOT NULL
            AND realname_id_masked IS NOT NULL))
);
COMMENT ON TABLE accounts IS 'applicant accounts (单位 and 个人) of the public website; staff accounts are separate';
COMMENT ON COLUMN accounts.password_hash IS 'the password hash in its self-describing format; NULL until a password is set';
COMMENT ON COLUMN accounts.realname_status IS '实名认证: none (not started), pending (QR issued, no result yet), verified';
COMMENT ON COLUMN accounts.realname_name IS 'the verified name from the real-name provider';
COMMENT ON COLUMN accounts.realname_id_masked IS 'the verified ID number masked for display; never the full number';

-- Catalog lookups -----------------------------------------------------------

CREATE TABLE services (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL UNIQUE,
    short_name  text NOT NULL UNIQUE,
    description text NOT NULL,
    sort_order  integer NOT NULL
);
COMMENT ON TABLE services IS 'the kinds of service an applicant can ask for (在线办理)';
COMMENT ON COLUMN services.short_name IS 'as in order lists: 单位证书-补办';

INSERT INTO services (code, name, short_name, description, sort_order) VALUES
    ('new',     '证书新办', '新办', '企业或个人首次开通, 办理数字证书', 10),
    ('renew',   '证书延期', '延期', '数字证书即将过期或已过期3个月内, 可申请续费', 20),
    ('unlock',  '证书解锁', '解锁', '数字证书密码遗忘或尝试密码多次导致被锁, 可申请解锁', 30),
    ('replace', '证书补办', '补办', '数字证书在有效期内遗失, 可申请补办', 40);

CREATE TABLE cert_types (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL UNIQUE,
    sort_order  integer NOT NULL
);
COMMENT ON TABLE cert_types IS 'who a certificate is for: an organisation (单位) or a person (个人)';

INSERT INTO cert_types (code, name, sort_order) VALUES
    ('org',      '单位证书', 10),
    ('personal', '个人证书', 20);

-- Projects ------------------------------------------------------------------

CREATE TABLE projects (
    code                text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name                text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    description         text NOT NULL DEFAULT '',
    active              boolean NOT NULL DEFAULT true,
    sort_order          integer NOT NULL DEFAULT 0,
    renewal_window_days integer NOT NULL DEFAULT 30
                        CHECK (renewal_window_days BETWEEN 1 AND 366),
    created_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE projects IS 'the platforms a certificate is for (申请项目), e.g. 湘潭市公共资源交易系统';
COMMENT ON COLUMN projects.code IS 'stable identifier used by the API and in orders; never renamed';
COMMENT ON COLUMN projects.active IS 'false hides the project from the catalog and refuses new orders; existing orders go on';
COMMENT ON COLUMN projects.renewal_window_days IS 'renewal (延期) may be applied for this many days before expiry';

INSERT INTO projects (code, name, description, sort_order) VALUES
    ('xiangtan_ggzy', '湘潭市公共资源交易系统',
     '湘潭市公共资源交易中心电子交易系统的投标人、招标代理机构数字证书', 10),
    ('guoziyun_ygcg', '国资云阳光采购平台',
     '国资云阳光采购平台供应商、采购单位数字证书', 20),
    ('hunan_ccgp', '湖南省政府采购网',
     '湖南省政府采购电子卖场及电子招投标系统的供应商数字证书', 30),
    ('changsha_ggzy', '长沙市公共资源交易中心',
     '长沙市公共资源交易中心工程建设、政府采购项目电子投标数字证书', 40),
    ('hunan_jsgc', '湖南省建设工程招标投标监管平台',
     '湖南省房屋建筑和市政基础设施工程电子招标投标数字证书', 50),
    ('zhuzhou_ggzy', '株洲市公共资源交易中心',
     '株洲市公共资源交易中心电子交易系统的投标人数字证书', 60);

-- What each project offers --------------------------------------------------

CREATE TABLE project_services (
    project_code    text NOT NULL REFERENCES projects,
    service         text NOT NULL REFERENCES services,
    cert_type       text NOT NULL REFERENCES cert_types,
    price_fen       money_fen NOT NULL,
    -- how long the certificate issued is valid; unlock and replace keep
    -- the certificate's own validity, so they have none
    validity_months smallint CHECK (validity_months BETWEEN 1 AND 60),
    enabled         boolean NOT NULL DEFAULT true,
    PRIMARY KEY (project_code, service, cert_type),
    CHECK ((validity_months IS NOT NULL) = (service IN ('new', 'renew')))
);
COMMENT ON TABLE project_services IS 'the services × certificate types a project offers, with price and validity';
COMMENT ON COLUMN project_services.price_fen IS 'price in fen; an order fixes it at submission';
COMMENT ON COLUMN project_services.validity_months IS 'validity of the certificate issued (new, renew); NULL when the certificate keeps its own (unlock, replace)';
COMMENT ON COLUMN project_services.enabled IS 'false hides this offer from the catalog and refuses new orders and submissions';

-- Prices per project: new and replace cost the same (a replacement is a new
-- key), renewal less, unlock a handling fee.  A value list per project keeps
-- the 48 rows reviewable.
INSERT INTO project_services (project_code, service, cert_type, price_fen, validity_months, enabled)
SELECT p.project_code, s.service, s.cert_type,
       CASE s.service || '/' || s.cert_type
           WHEN 'new/org'          THEN p.new_org
           WHEN 'replace/org'      THEN p.new_org
           WHEN 'renew/org'        THEN p.renew_org
           WHEN 'new/personal'     THEN p.new_personal
           WHEN 'replace/personal' THEN p.new_personal
           WHEN 'renew/personal'   THEN p.renew_personal
           ELSE p.unlock
       END,
       CASE WHEN s.service IN ('new', 'renew') THEN p.months END,
       s.cert_type = 'org' OR p.personal
FROM (VALUES
    -- project          new_org renew_org new_pers renew_pers unlock months personal
    ('xiangtan_ggzy',   30000,  20000,    10000,   8000,      5000,  12,    true),
    ('guoziyun_ygcg',   40000,  30000,    15000,   12000,     5000,  24,    true),
    ('hunan_ccgp',      30000,  20000,    10000,   8000,      5000,  12,    true),
    ('changsha_ggzy',   35000,  25000,    12000,   10000,     6000,  12,    true),
    ('hunan_jsgc',      48000,  38000,    20000,   16000,     8000,  24,    false),
    ('zhuzhou_ggzy',    30000,  20000,    10000,   8000,      5000,  12,    true)
) AS p (project_code, new_org, renew_org, new_personal, renew_personal, unlock, months, personal)
CROSS JOIN (
    SELECT sv.code AS service, ct.code AS cert_type
    FROM services sv CROSS JOIN cert_types ct
) AS s;

-- Materials -----------------------------------------------------------------

CREATE TABLE material_kinds (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name            text NOT NULL UNIQUE,
    note            text,
    hint            text NOT NULL,
    formats         text[] NOT NULL DEFAULT '{jpg,bmp,png,pdf}'
                    CHECK (cardinality(formats) > 0
                           AND formats <@ '{jpg,bmp,png,pdf}'::text[]),
    max_bytes       integer NOT NULL DEFAULT 2097152 CHECK (max_bytes > 0),
    color_required  boolean NOT NULL DEFAULT true,
    sort_order      integer NOT NULL
);
COMMENT ON TABLE material_kinds IS 'the kinds of file an applicant uploads (资料上传), with the rules the upload checks';
COMMENT ON COLUMN material_kinds.note IS 'what the screen shows after the name in brackets: 补办申请表 (需签字)';
COMMENT ON COLUMN material_kinds.hint IS 'the format rule shown under the upload button';
COMMENT ON COLUMN material_kinds.formats IS 'file types accepted (checked by content, not by name)';
COMMENT ON COLUMN material_kinds.max_bytes IS 'largest file accepted: 图片大小不超过2M = 2 MiB';
COMMENT ON COLUMN material_kinds.color_required IS '扫描件必须为彩色: grey-scale scans are refused';

INSERT INTO material_kinds (code, name, note, hint, sort_order)
SELECT code, name, note, '支持jpg, bmp, png, pdf格式, 图片大小不超过2M, 扫描件必须为彩色', sort_order
FROM (VALUES
    ('application_form',      '申请表',           '需签字',                   10),
    ('replacement_form',      '补办申请表',       '需签字',                   20),
    ('responsibility_letter', '申请责任书',       '需签字或加盖公章',         30),
    ('legal_id_front',        '法人身份证正面',   '原件拍照或复印件加盖公章', 40),
    ('legal_id_back',         '法人身份证反面',   '原件拍照或复印件加盖公章', 50),
    ('id_front',              '身份证正面',       '原件拍照',                 60),
    ('id_back',               '身份证反面',       '原件拍照',                 70),
    ('business_license',      '营业执照',         '原件拍照',                 80),
    ('eseal_form',            '电子签章采集表',   '需加盖公章',               90),
    -- the payment voucher of a bank transfer: uploaded when paying, not at
    -- the materials step, so no project_service_materials row names it
    ('transfer_voucher',      '公对公转账凭证',   '付款单位名称须与申请单位名称一致', 100)
) AS m (code, name, note, sort_order);

CREATE TABLE project_service_materials (
    project_code    text NOT NULL,
    service         text NOT NULL,
    cert_type       text NOT NULL,
    material_kind   text NOT NULL REFERENCES material_kinds,
    required        boolean NOT NULL DEFAULT true,
    PRIMARY KEY (project_code, service, cert_type, material_kind),
    FOREIGN KEY (project_code, service, cert_type)
        REFERENCES project_services ON DELETE CASCADE
);
COMMENT ON TABLE project_service_materials IS 'the materials an offer asks for at the upload step; shown in material_kinds.sort_order';
COMMENT ON COLUMN project_service_materials.required IS 'true: submission waits for it (带*号); false: optional upload';

-- The same list for every project today (the seeds name no difference);
-- per-project rows allow one later.  Organisations prove who they are with
-- the legal representative's ID and the business licence, people with
-- their own ID; a replacement uses its own form and, for organisations,
-- the responsibility letter and the e-seal form again, as in the 补办 guide.
INSERT INTO project_service_materials (project_code, service, cert_type, material_kind, required)
SELECT ps.project_code, ps.service, ps.cert_type, m.material_kind, m.required
FROM project_services ps
JOIN (VALUES
    ('new',     'org',      'application_form',      true),
    ('new',     'org',      'responsibility_letter', true),
    ('new',     'org',      'legal_id_front',        true),
    ('new',     'org',      'legal_id_back',         true),
    ('new',     'org',      'business_license',      true),
    ('new',     'org',      'eseal_form',            true),
    ('new',     'personal', 'application_form',      true),
    ('new',     'personal', 'id_front',              true),
    ('new',     'personal', 'id_back',               true),
    ('renew',   'org',      'application_form',      true),
    ('renew',   'org',      'legal_id_front',        true),
    ('renew',   'org',      'legal_id_back',         true),
    ('renew',   'org',      'business_license',      true),
    -- only when the seal image changes with the renewal
    ('renew',   'org',      'eseal_form',            false),
    ('renew',   'personal', 'application_form',      true),
    ('renew',   'personal', 'id_front',              true),
    ('renew',   'personal', 'id_back',               true),
    ('unlock',  'org',      'application_form',      true),
    ('unlock',  'org',      'legal_id_front',        true),
    ('unlock',  'org',      'legal_id_back',         true),
    ('unlock',  'org',      'business_license',      true),
    ('unlock',  'personal', 'application_form',      true),
    ('unlock',  'personal', 'id_front',              true),
    ('unlock',  'personal', 'id_back',               true),
    ('replace', 'org',      'replacement_form',      true),
    ('replace', 'org',      'responsibility_letter', true),
    ('replace', 'org',      'legal_id_front',        true),
    ('replace', 'org',      'legal_id_back',         true),
    ('replace', 'org',      'business_license',      true),
    ('replace', 'org',      'eseal_form',            true),
    ('replace', 'personal', 'replacement_form',      true),
    ('replace', 'personal', 'id_front',              true),
    ('replace', 'personal', 'id_back',               true)
) AS m (service, cert_type, material_kind, required)
  ON m.service = ps.service AND m.cert_type = ps.cert_type;

-- The API's JSON ------------------------------------------------------------

-- Functions the nginx module calls.  Each returns one json value that the
-- module passes to the client byte for byte.
CREATE SCHEMA api;
COMMENT ON SCHEMA api IS 'functions the nginx module calls; each returns one JSON value sent as is';
