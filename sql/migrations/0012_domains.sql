-- Schema v1, part 11: domains for the field rules the tables repeated
-- (issue 15).  Each rule was a CHECK written again on every column that
-- holds such a value (the mobile number's six times); now it is written
-- once, as a domain, and the columns are of it.  The values allowed are
-- exactly those of the CHECKs they replace; a value outside them is still
-- refused with SQLSTATE 23514 (check_violation), now as "value for domain
-- mobile_number violates check constraint ...".
--
--   mobile_number    a mainland mobile number: 11 digits, 13-19
--   email_address    at most 254 characters, one @ with no blank around it
--   uscc_code        统一社会信用代码: 18 characters of the GB 32100 alphabet
--   taxpayer_code    纳税人识别号: 15, 17, 18 or 20 digits and capitals
--   postal_code      邮政编码: 6 digits
--
-- The masked ID numbers keep their CHECKs: accounts.realname_id_masked
-- (the provider's masking, 15 or 18 characters) and
-- order_info.person_id_masked (the hall's own, 4 + 10 + 4) are different
-- rules.  Columns that had no CHECK (orders.delivery_mobile, copied from an
-- address; sms_requests.phone and login_failures.phone, which record what
-- was asked for; pickup_points.phone, a landline) stay text.
--
-- The field rules of the module and the back office are in lib/ch_fields.c;
-- these are the database's last line.

SET LOCAL timezone = 'Asia/Shanghai';
-- the DROP ... IF EXISTS below say nothing when there is nothing to drop
SET LOCAL client_min_messages = warning;

CREATE DOMAIN mobile_number AS text
    CHECK (VALUE ~ '^1[3-9][0-9]{9}$');
COMMENT ON DOMAIN mobile_number IS 'a mainland China mobile number: 11 digits starting 13-19';

CREATE DOMAIN email_address AS text
    CHECK (char_length(VALUE) <= 254 AND VALUE ~ '^[^@[:space:]]+@[^@[:space:]]+$');
COMMENT ON DOMAIN email_address IS 'an e-mail address: at most 254 characters, one @ with no blanks';

CREATE DOMAIN uscc_code AS text
    CHECK (VALUE ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$');
COMMENT ON DOMAIN uscc_code IS '统一社会信用代码 (unified social credit code, GB 32100): its shape, not its check character';

CREATE DOMAIN taxpayer_code AS text
    CHECK (VALUE ~ '^[0-9A-Z]{15}$|^[0-9A-Z]{17,18}$|^[0-9A-Z]{20}$');
COMMENT ON DOMAIN taxpayer_code IS '纳税人识别号: 15, 17, 18 or 20 digits and capital letters';

CREATE DOMAIN postal_code AS text
    CHECK (VALUE ~ '^[0-9]{6}$');
COMMENT ON DOMAIN postal_code IS '邮政编码: 6 digits';

-- address_json() and invoice_title_json() have SQL-standard bodies, which
-- PostgreSQL binds to the columns they read, so those columns' type cannot
-- change under them: they go here, and sql/functions/14_address_book.sql,
-- which sql/migrate applies after the migrations, creates them again (their
-- callers are PL/pgSQL, which looks them up when it runs).  A new database
-- has neither yet.
DROP FUNCTION IF EXISTS address_json(addresses);
DROP FUNCTION IF EXISTS invoice_title_json(invoice_titles);

ALTER TABLE accounts
    DROP CONSTRAINT accounts_phone_check,
    ALTER COLUMN phone TYPE mobile_number;
ALTER TABLE sms_codes
    DROP CONSTRAINT sms_codes_phone_check,
    ALTER COLUMN phone TYPE mobile_number;
ALTER TABLE sms_outbox
    DROP CONSTRAINT sms_outbox_phone_check,
    ALTER COLUMN phone TYPE mobile_number;
ALTER TABLE addresses
    DROP CONSTRAINT addresses_mobile_check,
    DROP CONSTRAINT addresses_postal_code_check,
    ALTER COLUMN mobile TYPE mobile_number,
    ALTER COLUMN postal_code TYPE postal_code;
ALTER TABLE invoice_titles
    DROP CONSTRAINT invoice_titles_taxpayer_id_check,
    ALTER COLUMN taxpayer_id TYPE taxpayer_code;
ALTER TABLE order_info
    DROP CONSTRAINT order_info_mobile_check,
    DROP CONSTRAINT order_info_email_check,
    DROP CONSTRAINT order_info_uscc_check,
    ALTER COLUMN mobile TYPE mobile_number,
    ALTER COLUMN email TYPE email_address,
    ALTER COLUMN uscc TYPE uscc_code;
ALTER TABLE order_invoice
    DROP CONSTRAINT order_invoice_mobile_check,
    DROP CONSTRAINT order_invoice_email_check,
    DROP CONSTRAINT order_invoice_taxpayer_id_check,
    ALTER COLUMN mobile TYPE mobile_number,
    ALTER COLUMN email TYPE email_address,
    ALTER COLUMN taxpayer_id TYPE taxpayer_code;
