-- Schema v1: e-invoices (issue 18).
--
--   invoice_policy     how often and how long a request is retried (one row)
--   invoice_requests   one FPKJ request serial (FPQQLSH) sent to the tax
--                      platform: blue (KPLX 0) or red (KPLX 1, reversing a
--                      blue one), what it says frozen at its first send
--   invoice_attempts   every send of a request, for finance
--   invoices           what the platform issued for a request: 发票代码,
--                      发票号码, 开票日期, the sums, the PDF and the XML in
--                      storage (content-addressed, SHA-256)
--
-- And the job `certhall-admin invoice-send`, the audit actions of finance's
-- queue.  The functions are in sql/functions/48_invoices.sql (and the back
-- office's in 49_invoice_admin.sql).

SET LOCAL timezone = 'Asia/Shanghai';

CREATE TABLE invoice_policy (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    max_attempts    integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
    backoff_first   interval NOT NULL DEFAULT '1 minute' CHECK (backoff_first > '0'),
    backoff_max     interval NOT NULL DEFAULT '1 hour' CHECK (backoff_max >= backoff_first),
    lease           interval NOT NULL DEFAULT '5 minutes' CHECK (lease > '0')
);
COMMENT ON TABLE invoice_policy IS 'the rules of sending e-invoice requests (one row)';
COMMENT ON COLUMN invoice_policy.max_attempts IS 'after this many failed sends a request waits for finance (failed)';
COMMENT ON COLUMN invoice_policy.backoff_first IS 'the wait after the first failure; doubled after each next one, up to backoff_max';
COMMENT ON COLUMN invoice_policy.lease IS 'how long a sender holds a claimed request; after it, another run may send the same serial again';

INSERT INTO invoice_policy DEFAULT VALUES;

CREATE TABLE invoice_requests (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- FPQQLSH: [0-9A-Za-z]{1,20} (schema/fpkj.xsd); a generated column,
    -- so it exists before the first send and can never change
    serial              text NOT NULL UNIQUE
                        GENERATED ALWAYS AS ('CH' || lpad(id::text, 18, '0')) STORED
                        CHECK (serial ~ '^[0-9A-Za-z]{1,20}$'),
    order_id            text NOT NULL REFERENCES orders,
    kind                text NOT NULL CHECK (kind IN ('blue', 'red')),
    original_request_id bigint REFERENCES invoice_requests,
    state               text NOT NULL DEFAULT 'queued'
                        CHECK (state IN ('queued', 'sending', 'failed', 'issued', 'cancelled')),
    attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_try_at         timestamptz NOT NULL DEFAULT now(),
    lease_until         timestamptz,
    lease_token         text,
    last_error          text CHECK (char_length(last_error) <= 500),
    last_error_at       timestamptz,
    definite_refusal    boolean NOT NULL DEFAULT false,
    first_sent_at       timestamptz,
    -- what the request says (frozen from first_sent_at on)
    title_type          text NOT NULL CHECK (title_type IN ('org', 'personal')),
    buyer_name          text NOT NULL CHECK (char_length(buyer_name) BETWEEN 1 AND 300),
    buyer_taxpayer_id   text CHECK (char_length(buyer_taxpayer_id) <= 40),
    buyer_email         text CHECK (char_length(buyer_email) <= 254),
    buyer_mobile        text CHECK (char_length(buyer_mobile) <= 40),
    remark              text CHECK (char_length(remark) <= 300),
    item_name           text NOT NULL CHECK (char_length(item_name) BETWEEN 1 AND 300),
    price_fen           bigint NOT NULL CHECK (price_fen > 0),
    quantity            integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
    amount_fen          bigint NOT NULL,
    created_by_kind     text NOT NULL CHECK (created_by_kind IN ('system', 'applicant', 'finance')),
    created_by_staff    bigint REFERENCES staff,
    created_at          timestamptz NOT NULL DEFAULT now(),
    issued_at           timestamptz,
    cancelled_at        timestamptz,
    CHECK (amount_fen = price_fen * quantity),
    CHECK ((kind = 'red') = (original_request_id IS NOT NULL)),
    CHECK (state <> 'sending' OR (lease_until IS NOT NULL AND lease_token IS NOT NULL)),
    CHECK ((state = 'issued') = (issued_at IS NOT NULL)),
    CHECK ((created_by_kind = 'finance') = (created_by_staff IS NOT NULL))
);
COMMENT ON TABLE invoice_requests IS 'one e-invoice request to the tax platform under its serial (FPQQLSH): every retry sends the same serial, so the platform issues at most one invoice for it';
COMMENT ON COLUMN invoice_requests.serial IS 'FPQQLSH: CH + the id on 18 digits, fixed before the first send';
COMMENT ON COLUMN invoice_requests.kind IS 'blue: KPLX 0, the invoice; red: KPLX 1, reversing original_request_id''s invoice (冲红)';
COMMENT ON COLUMN invoice_requests.state IS 'queued (waits for next_try_at), sending (claimed, lease_until), failed (waits for finance), issued (invoices row), cancelled (superseded before anything was issued)';
COMMENT ON COLUMN invoice_requests.next_try_at IS 'queued: sent by the first run after it; infinity: a correction''s blue request waiting for its red one';
COMMENT ON COLUMN invoice_requests.definite_refusal IS 'the last failure was an answer with returncode other than 0000: the platform issued nothing for this serial';
COMMENT ON COLUMN invoice_requests.first_sent_at IS 'the first claim; from then on the content columns are frozen (invoice_request_guard)';
COMMENT ON COLUMN invoice_requests.amount_fen IS 'price_fen * quantity, tax included (a red request carries the original''s: the builder negates)';

-- one open request of each kind per order: a correction has its red one
-- and the new blue one open together
CREATE UNIQUE INDEX invoice_requests_open_idx ON invoice_requests (order_id, kind)
    WHERE state IN ('queued', 'sending', 'failed');
CREATE INDEX invoice_requests_due_idx ON invoice_requests (next_try_at, id)
    WHERE state IN ('queued', 'sending');
CREATE INDEX invoice_requests_order_idx ON invoice_requests (order_id, id);

CREATE TABLE invoice_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  bigint NOT NULL REFERENCES invoice_requests,
    n           integer NOT NULL CHECK (n >= 1),
    lease_token text,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text CHECK (outcome IN ('issued', 'refused', 'error')),
    message     text CHECK (char_length(message) <= 500),
    UNIQUE (request_id, n),
    CHECK ((outcome IS NULL) = (finished_at IS NULL))
);
COMMENT ON TABLE invoice_attempts IS 'every send of an invoice request: issued, refused (returncode not 0000), error (no usable answer); open while the send goes on or its sender died';

CREATE TABLE invoices (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id              bigint NOT NULL UNIQUE REFERENCES invoice_requests,
    order_id                text NOT NULL REFERENCES orders,
    kind                    text NOT NULL CHECK (kind IN ('blue', 'red')),
    fpdm                    text NOT NULL CHECK (fpdm ~ '^[0-9]{10,12}$'),
    fphm                    text NOT NULL CHECK (fphm ~ '^[0-9]{8,20}$'),
    kprq                    timestamptz NOT NULL,
    total_fen               bigint NOT NULL,
    net_fen                 bigint NOT NULL,
    tax_fen                 bigint NOT NULL,
    pdf_sha256              text NOT NULL CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
    pdf_size                bigint NOT NULL CHECK (pdf_size > 0),
    request_xml_sha256      text CHECK (request_xml_sha256 ~ '^[0-9a-f]{64}$'),
    answer_xml_sha256       text CHECK (answer_xml_sha256 ~ '^[0-9a-f]{64}$'),
    email                   text,
    reversed_by_request_id  bigint REFERENCES invoice_requests,
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (fpdm, fphm),
    CHECK (total_fen = net_fen + tax_fen),
    CHECK ((kind = 'red') = (total_fen < 0))
);
COMMENT ON TABLE invoices IS 'the e-invoices the tax platform issued, one per request: 发票代码 fpdm, 发票号码 fphm, 开票日期 kprq, the sums (JSHJ/HJJE/HJSE in fen, negative for red), the PDF and the XML exchanged in storage by SHA-256';
COMMENT ON COLUMN invoices.reversed_by_request_id IS 'the red request whose invoice reversed this one (set when it is issued)';
COMMENT ON COLUMN invoices.email IS 'where the invoice was sent (the request''s buyer_email)';
CREATE INDEX invoices_order_idx ON invoices (order_id, id);

INSERT INTO jobs (name, title, schedule, description, sort_order) VALUES
    ('invoice-send', '开具电子发票', '* * * * *',
     '把排队的开票请求发往税务平台开具电子发票（同一请求流水号重试，不会重复开票）；失败的按计划重试，5 次后交财务处理', 25);

INSERT INTO audit_actions (code, name) VALUES
    ('invoice_retry',   '重新开具发票'),
    ('invoice_correct', '发票冲红重开');
