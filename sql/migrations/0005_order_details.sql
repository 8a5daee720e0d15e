-- Schema v1, part 4: what an applicant fills in for an order, and the
-- account's own lists.
--
--   certificates     the account's certificates: what renewal, unlock and
--                    replacement are for, with the rules of each service
--   order_info       基本信息: who the certificate is for
--   order_invoice    开票信息
--   addresses        我的地址; a submission copies one into the order
--   invoice_titles   我的发票抬头
--   pickup_points    受理点: where a key can be fetched instead
--
-- and the api.* functions of the orders, the lists and the messages.
--
-- ID numbers come here already sealed by the module (lib/ch_seal.c,
-- AES-256-GCM under the key of certhall_data_key): the database holds the
-- sealed text, the mask shown on screens and a keyed digest to find an
-- exact number, never the number itself, and never the key.

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

SET LOCAL timezone = 'Asia/Shanghai';

-- trigram indexes for "a part of the organisation's name" (trusted since
-- PostgreSQL 13: the database owner may create it)
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Certificates --------------------------------------------------------------

CREATE TABLE certificates (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    project_code    text NOT NULL REFERENCES projects,
    cert_type       text NOT NULL REFERENCES cert_types,
    serial          text NOT NULL UNIQUE CHECK (serial ~ '^[0-9A-F]{8,40}$'),
    -- the subject: the organisation, or the person
    name            text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 2 AND 100),
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz NOT NULL,
    -- the order of this hall the certificate was issued for; NULL for one
    -- issued elsewhere (at a counter, before the hall)
    order_id        text UNIQUE REFERENCES orders,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to > valid_from)
);
COMMENT ON TABLE certificates IS 'the certificates (USB keys) of an account: what renewal (延期), unlock (解锁) and replacement (补办) are ordered for';
COMMENT ON COLUMN certificates.name IS '证书名: the organisation (单位证书) or the person (个人证书) it was issued to';
COMMENT ON COLUMN certificates.valid_to IS 'the end of validity; remaining days count Beijing calendar days to it';
COMMENT ON COLUMN certificates.order_id IS 'the order of this hall it was issued for; replacement (补办) needs one';

CREATE INDEX certificates_account_idx ON certificates (account_id, valid_to DESC);

-- which certificate an order is for (renew, unlock, replace; never new)
ALTER TABLE orders
    ADD COLUMN certificate_id bigint REFERENCES certificates,
    ADD CONSTRAINT orders_certificate_for_service
        CHECK ((certificate_id IS NULL) = (service = 'new'));
COMMENT ON COLUMN orders.certificate_id IS 'the certificate renewed, unlocked or replaced; NULL for new issuance';

-- the open order of a certificate, and the foreign key
CREATE INDEX orders_certificate_idx ON orders (certificate_id) WHERE certificate_id IS NOT NULL;

-- A refusal: the HTTP status, the stable code and the Chinese message.
CREATE TYPE refusal AS (status integer, code text, message text);
COMMENT ON TYPE refusal IS 'why something may not be done: HTTP status, code, message';

-- Pickup points -------------------------------------------------------------

CREATE TABLE pickup_points (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name        text NOT NULL UNIQUE,
    address     text NOT NULL,
    phone       text NOT NULL,
    hours       text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    sort_order  integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE pickup_points IS '受理点: where an applicant may fetch the key instead of a courier delivery';

INSERT INTO pickup_points (code, name, address, phone, hours, sort_order) VALUES
    ('changsha', '湖南CA长沙受理点', '湖南省长沙市岳麓区麓谷大道627号', '0731-85018830',
     '工作日 9:00-12:00, 13:30-17:30', 10),
    ('xiangtan', '湘潭市公共资源交易中心服务窗口', '湖南省湘潭市岳塘区芙蓉中路1号', '0731-58550000',
     '工作日 9:00-12:00, 14:00-17:00', 20);

-- Delivery and the agreement, fixed by the submission -----------------------

ALTER TABLE orders
    ADD COLUMN agreed_at            timestamptz,
    ADD COLUMN delivery_method      text CHECK (delivery_method IN ('express', 'pickup')),
    ADD COLUMN delivery_recipient   text,
    ADD COLUMN delivery_mobile      text,
    ADD COLUMN delivery_region      text,
    ADD COLUMN delivery_detail      text,
    ADD COLUMN delivery_postal_code text,
    ADD COLUMN pickup_point         text REFERENCES pickup_points,
    ADD CONSTRAINT orders_delivery_express CHECK (
        (delivery_method = 'express') =
        (delivery_recipient IS NOT NULL AND delivery_mobile IS NOT NULL
         AND delivery_region IS NOT NULL AND delivery_detail IS NOT NULL)),
    ADD CONSTRAINT orders_delivery_pickup CHECK (
        (delivery_method = 'pickup') = (pickup_point IS NOT NULL)),
    -- a submitted order was agreed to and says where the key goes
    ADD CONSTRAINT orders_submitted_complete CHECK (
        submitted_at IS NULL OR (agreed_at IS NOT NULL AND delivery_method IS NOT NULL));
COMMENT ON COLUMN orders.agreed_at IS 'when the applicant accepted the 申请责任书 (at submission)';
COMMENT ON COLUMN orders.delivery_method IS '领取方式: express (快递邮寄, to the address copied here) or pickup (受理点自取)';
COMMENT ON COLUMN orders.delivery_recipient IS 'the address as it was at submission: later edits of 我的地址 do not move a key on its way';

-- Basic information (基本信息) ----------------------------------------------

CREATE TABLE order_info (
    order_id            text PRIMARY KEY REFERENCES orders ON DELETE CASCADE,
    -- organisations only (单位证书)
    org_name            text CHECK (char_length(org_name) BETWEEN 2 AND 100),
    uscc                text CHECK (uscc ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$'),
    handler_name        text CHECK (char_length(handler_name) BETWEEN 2 AND 50),
    -- the legal representative of an organisation, or the person
    person_name         text NOT NULL CHECK (char_length(person_name) BETWEEN 2 AND 50),
    person_id_masked    text NOT NULL CHECK (person_id_masked ~ '^[1-9][0-9]{3}[*]{10}[0-9]{3}[0-9X]$'),
    person_id_digest    text NOT NULL CHECK (person_id_digest ~ '^[0-9a-f]{64}$'),
    person_id_sealed    text NOT NULL CHECK (person_id_sealed ~ '^v1\.[A-Za-z0-9_-]{40,200}$'),
    mobile              text NOT NULL CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
    email               text NOT NULL CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((org_name IS NULL) = (uscc IS NULL) AND (uscc IS NULL) = (handler_name IS NULL))
);
COMMENT ON TABLE order_info IS '基本信息 of an order: the organisation and its legal representative and handler (单位), or the person (个人)';
COMMENT ON COLUMN order_info.person_name IS 'the legal representative (法定代表人) of an organisation, or the applicant of a personal certificate';
COMMENT ON COLUMN order_info.person_id_sealed IS 'the ID number sealed by the module (AES-256-GCM, bound to order id and field); opened only to print the application form';
COMMENT ON COLUMN order_info.person_id_digest IS 'HMAC-SHA256 of the ID number under a key derived from the data key: finds an exact number';
COMMENT ON COLUMN order_info.handler_name IS '经办人: who handles the application for the organisation';

-- my orders' text filter: a part of the organisation or person name
CREATE INDEX order_info_name_trgm_idx ON order_info
    USING gin ((coalesce(org_name || ' ', '') || person_name) gin_trgm_ops);
-- a whole USCC or ID number
CREATE INDEX order_info_uscc_idx ON order_info (uscc) WHERE uscc IS NOT NULL;
CREATE INDEX order_info_person_id_idx ON order_info (person_id_digest);

-- Invoice information (开票信息) --------------------------------------------

CREATE TABLE order_invoice (
    order_id        text PRIMARY KEY REFERENCES orders ON DELETE CASCADE,
    title_type      text NOT NULL CHECK (title_type IN ('org', 'personal')),
    title           text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 100),
    taxpayer_id     text CHECK (taxpayer_id ~ '^[0-9A-Z]{15}$|^[0-9A-Z]{17,18}$|^[0-9A-Z]{20}$'),
    email           text NOT NULL CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    mobile          text NOT NULL CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
    remark          text CHECK (char_length(remark) <= 100),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- 纳税人识别号 is required of organisations; individuals may leave it
    CHECK (title_type = 'personal' OR taxpayer_id IS NOT NULL)
);
COMMENT ON TABLE order_invoice IS '开票信息 of an order: the e-invoice title, taxpayer number and where the invoice goes';

-- The lists of an account ---------------------------------------------------

CREATE TABLE addresses (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    recipient       text NOT NULL CHECK (char_length(recipient) BETWEEN 2 AND 50),
    mobile          text NOT NULL CHECK (mobile ~ '^1[3-9][0-9]{9}$'),
    region          text NOT NULL CHECK (char_length(region) BETWEEN 2 AND 60),
    detail          text NOT NULL CHECK (char_length(detail) BETWEEN 2 AND 120),
    postal_code     text CHECK (postal_code ~ '^[0-9]{6}$'),
    is_default      boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE addresses IS '我的地址: where an applicant has keys sent; a submission copies one into the order';
COMMENT ON COLUMN addresses.region IS '所在地区: province, city, district (湖南省长沙市岳麓区)';

CREATE INDEX addresses_account_idx ON addresses (account_id, created_at DESC);
CREATE UNIQUE INDEX addresses_one_default_idx ON addresses (account_id) WHERE is_default;

CREATE TABLE invoice_titles (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts,
    title_type      text NOT NULL CHECK (title_type IN ('org', 'personal')),
    title           text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 100),
    taxpayer_id     text CHECK (taxpayer_id ~ '^[0-9A-Z]{15}$|^[0-9A-Z]{17,18}$|^[0-9A-Z]{20}$'),
    is_default      boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (title_type = 'personal' OR taxpayer_id IS NOT NULL),
    UNIQUE NULLS NOT DISTINCT (account_id, title, taxpayer_id)
);
COMMENT ON TABLE invoice_titles IS '我的发票抬头: invoice titles an applicant keeps to fill in 开票信息';

CREATE UNIQUE INDEX invoice_titles_one_default_idx ON invoice_titles (account_id) WHERE is_default;

-- Indexes of my orders' filters ---------------------------------------------

-- by account then each filter, newest first (the state filter has
-- orders_account_state_idx, the plain list orders_account_created_idx)
CREATE INDEX orders_account_project_idx ON orders (account_id, project_code, created_at DESC);
CREATE INDEX orders_account_service_idx ON orders (account_id, service, created_at DESC);
CREATE INDEX orders_account_submitted_idx ON orders (account_id, submitted_at DESC)
    WHERE submitted_at IS NOT NULL;
