-- Schema v1, part 5: the files an applicant uploads for an order (资料上传),
-- and the choice of a bank transfer (公对公转账) with its voucher.
--
--   materials        every file ever uploaded for an order, current or not:
--                    the history the back office reviews
--   order_transfers  the bank details shown when the applicant chose a
--                    transfer, as they were then
--
-- The files themselves are not here: the module stores each one under its
-- SHA-256 (certhall_storage) and this row names it.  The module writes the
-- file to a temporary name, renames it into place, and only then calls
-- api.material_put(); a file no row names is garbage, never a row without
-- its file.
--
-- One rule decides whether a file of a kind may be uploaded to an order
-- (material_rule): the check the module makes before it reads the body
-- (api.upload_check), the write itself (api.material_put, the order
-- locked), the removal (api.material_delete) and the table's guard all ask
-- it, so they cannot disagree.

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

SET LOCAL timezone = 'Asia/Shanghai';

-- The files -----------------------------------------------------------------

CREATE TABLE materials (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the files go with their order only (orders are never deleted but by
    -- tests cleaning up): materials_guard refuses any other deletion
    order_id        text NOT NULL REFERENCES orders ON DELETE CASCADE,
    kind            text NOT NULL REFERENCES material_kinds,
    -- the name of the stored file: DIR/<sha256[0:2]>/<sha256>
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes      bigint NOT NULL CHECK (size_bytes > 0),
    -- the type found in the content (lib/ch_filecheck.h), never the name's
    format          text NOT NULL CHECK (format IN ('jpg', 'png', 'bmp', 'pdf')),
    -- pixels (a PDF: its largest image), and pages (an image: 1)
    width           integer NOT NULL CHECK (width > 0),
    height          integer NOT NULL CHECK (height > 0),
    pages           integer NOT NULL CHECK (pages > 0),
    -- the browser's file name, sanitised by the module; shown, never used
    -- as a path.  No control characters (C0, DEL, C1): it goes into a
    -- Content-Disposition header and onto staff's screens.
    original_name   text NOT NULL CHECK (char_length(original_name) BETWEEN 1 AND 400
                                         AND btrim(original_name) <> ''
                                         AND original_name !~ '[\u0001-\u001f\u007f-\u009f]'),
    -- who uploaded it: the order's applicant (materials_guard)
    account_id      bigint NOT NULL REFERENCES accounts,
    uploaded_at     timestamptz NOT NULL DEFAULT now(),
    -- set once, when a newer upload or a removal supersedes it
    replaced_at     timestamptz,
    replaced_by     text CHECK (replaced_by IN ('upload', 'delete')),
    CONSTRAINT materials_replaced_together CHECK ((replaced_at IS NULL) = (replaced_by IS NULL)),
    CONSTRAINT materials_replaced_after_upload CHECK (replaced_at >= uploaded_at),
    CONSTRAINT materials_image_one_page CHECK (format = 'pdf' OR pages = 1)
);
COMMENT ON TABLE materials IS 'every file uploaded for an order (资料上传, the transfer voucher), current or superseded; append only: a row changes once, to set replaced_at, and goes only with its order';
COMMENT ON COLUMN materials.kind IS 'which material (material_kinds); one of the order''s offer (project_service_materials), or transfer_voucher';
COMMENT ON COLUMN materials.sha256 IS 'SHA-256 of the file, lower-case hex: the stored file is <certhall_storage>/<sha256[0:2]>/<sha256>';
COMMENT ON COLUMN materials.size_bytes IS 'the file''s size in bytes, at most the kind''s max_bytes when uploaded';
COMMENT ON COLUMN materials.format IS 'jpg, png, bmp or pdf, as found in the content; one of the kind''s formats when uploaded';
COMMENT ON COLUMN materials.width IS 'width in pixels (a PDF: of its largest image)';
COMMENT ON COLUMN materials.height IS 'height in pixels (a PDF: of its largest image)';
COMMENT ON COLUMN materials.pages IS 'pages of a PDF; 1 for an image';
COMMENT ON COLUMN materials.original_name IS 'the uploaded file''s name as sanitised by the module (at most 400 characters, no control characters); for display and downloads only';
COMMENT ON COLUMN materials.account_id IS 'the applicant who uploaded it (always the order''s account)';
COMMENT ON COLUMN materials.replaced_at IS 'NULL: the current file of its kind for the order; else when it was superseded';
COMMENT ON COLUMN materials.replaced_by IS 'what superseded it: upload (a newer file of the kind) or delete (the applicant removed it)';

-- the one current file of each kind of an order
CREATE UNIQUE INDEX materials_current_idx ON materials (order_id, kind) WHERE replaced_at IS NULL;
-- the back office: an order's files, current and superseded, kind by kind
-- in upload order; also serves the foreign key to orders
CREATE INDEX materials_order_idx ON materials (order_id, kind, id);

-- The bank transfer ---------------------------------------------------------

CREATE TABLE order_transfers (
    order_id        text PRIMARY KEY REFERENCES orders ON DELETE CASCADE,
    payee           text NOT NULL CHECK (char_length(payee) BETWEEN 1 AND 100 AND btrim(payee) <> ''),
    bank            text NOT NULL CHECK (char_length(bank) BETWEEN 1 AND 100 AND btrim(bank) <> ''),
    account         text NOT NULL CHECK (char_length(account) BETWEEN 1 AND 64 AND btrim(account) <> ''),
    amount_fen      money_fen NOT NULL,
    chosen_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE order_transfers IS 'the bank details an applicant was shown on choosing a bank transfer (公对公转账): what finance checks the voucher against';
COMMENT ON COLUMN order_transfers.payee IS '收款单位, from the nginx configuration at the time';
COMMENT ON COLUMN order_transfers.bank IS '开户银行, from the nginx configuration at the time';
COMMENT ON COLUMN order_transfers.account IS '银行账号, from the nginx configuration at the time';
COMMENT ON COLUMN order_transfers.amount_fen IS 'the amount to transfer: the order''s amount_fen';
COMMENT ON COLUMN order_transfers.chosen_at IS 'when transfer was (last) chosen: going back to Alipay and choosing transfer again renews the row';
