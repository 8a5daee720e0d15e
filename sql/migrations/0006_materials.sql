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

-- The rule ------------------------------------------------------------------

-- The transfer voucher is no material of an offer (no
-- project_service_materials row names it, see 0002): it belongs to the
-- payment, is uploaded only while the order waits for it, and once
-- uploaded it is finance's to judge, so it is never removed.  Every other
-- kind is one of the order's offer and changes while the applicant may edit
-- the order (order_editable: draft, rejected).
--
-- Returns the kind (its formats and limits) if p_change ('upload' or
-- 'delete') of a file of p_kind is allowed on the order now; else raises:
--   CH409 voucher_not_deletable       removing the voucher
--   CH409 order_not_awaiting_voucher  the voucher outside pending_voucher
--   CH404 no_such_material            the offer does not ask for the kind
--   CH409 order_not_editable          the order is not draft or rejected
-- A kind not asked of the order is 404 whatever its state, so the answer
-- to a wrong URL does not depend on the order's progress.
CREATE FUNCTION material_rule(p_order orders, p_kind text, p_change text DEFAULT 'upload')
RETURNS material_kinds
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    k material_kinds;
BEGIN
    IF p_kind = 'transfer_voucher' THEN
        IF p_change = 'delete' THEN
            PERFORM raise_api_error('CH409', 'voucher_not_deletable', '转账凭证上传后不能删除');
        END IF;
        IF p_order.state <> 'pending_voucher' THEN
            PERFORM raise_api_error('CH409', 'order_not_awaiting_voucher',
                                    format('订单当前状态为“%s”，不能上传转账凭证',
                                           (SELECT name FROM order_states WHERE code = p_order.state)));
        END IF;
        SELECT * INTO STRICT k FROM material_kinds WHERE code = p_kind;
        RETURN k;
    END IF;

    SELECT mk.* INTO k
    FROM project_service_materials psm
    JOIN material_kinds mk ON mk.code = psm.material_kind
    WHERE psm.project_code = p_order.project_code AND psm.service = p_order.service
      AND psm.cert_type = p_order.cert_type AND psm.material_kind = p_kind;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'no_such_material', '该订单无需上传此项资料');
    END IF;
    IF NOT order_editable(p_order.state) THEN
        PERFORM raise_api_error('CH409', 'order_not_editable',
                                format('订单当前状态为“%s”，不能修改',
                                       (SELECT name FROM order_states WHERE code = p_order.state)));
    END IF;
    RETURN k;
END
$$;
COMMENT ON FUNCTION material_rule(orders, text, text) IS
    'the one rule of uploads and removals: the kind if p_change (upload, delete) of p_kind is allowed on the order now, else CH404 no_such_material / CH409 order_not_editable, order_not_awaiting_voucher, voucher_not_deletable';

-- What the file itself must be for its kind: one of its formats (422) and
-- no larger than its max_bytes (413).  The module checks both as the body
-- streams in; this is the same rule where the row is written, and its
-- refusals look like the module's (no field).
CREATE FUNCTION material_file_check(p_kind material_kinds, p_format text, p_size bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_format IS NULL OR NOT p_format = ANY (p_kind.formats) THEN
        PERFORM raise_api_error('CH422', 'format_not_allowed',
                                format('%s只支持%s格式', p_kind.name,
                                       array_to_string(p_kind.formats, ', ')));
    END IF;
    IF p_size > p_kind.max_bytes THEN
        PERFORM raise_api_error('CH413', 'file_too_large',
                                -- the module's words for the same refusal
                                format('文件大小超过限制（不超过%s）',
                                       CASE WHEN p_kind.max_bytes % 1048576 = 0
                                            THEN (p_kind.max_bytes / 1048576) || 'M'
                                            ELSE p_kind.max_bytes || '字节' END));
    END IF;
END
$$;
COMMENT ON FUNCTION material_file_check(material_kinds, text, bigint) IS
    'a file of the kind must be in one of its formats (CH422 format_not_allowed) and at most max_bytes (CH413 file_too_large)';

-- The guard -----------------------------------------------------------------

-- materials is the history of what was uploaded: whoever writes (the
-- module, the back office, a hand-made fix in psql)
--   - inserts current rows only, for the order's own applicant, while
--     material_rule() allows an upload of the kind, and only files that
--     material_file_check() accepts;
--   - updates a row once and only to supersede it (replaced_at,
--     replaced_by), while material_rule() allows that change;
--   - never deletes but together with the order (the cascade of its
--     foreign key: by then the order is gone).
-- The order is locked for share, like order_details_guard: a transition
-- waits for the write, or the write for the transition.  As in orders_guard,
-- what only a programming mistake does is 42501; what the order's state
-- refuses is the rule's CHnnn.  TRUNCATE (test set-ups that empty the
-- database) is not guarded either.
CREATE FUNCTION materials_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o orders;
    k material_kinds;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM orders WHERE id = OLD.order_id) THEN
            RETURN OLD;         -- the order itself is being deleted
        END IF;
        RAISE EXCEPTION 'material %: the history of uploads is never deleted (it is superseded: replaced_at)', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF TG_OP = 'INSERT' THEN
        IF NEW.replaced_at IS NOT NULL OR NEW.replaced_by IS NOT NULL THEN
            RAISE EXCEPTION 'a material is inserted as the current one (replaced_at NULL)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO o FROM orders WHERE id = NEW.order_id FOR SHARE;
        IF NOT FOUND THEN
            RETURN NEW;         -- the foreign key refuses it
        END IF;
        IF NEW.account_id IS DISTINCT FROM o.account_id THEN
            RAISE EXCEPTION 'material of order %: uploaded by its applicant only', o.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        k := material_rule(o, NEW.kind, 'upload');
        PERFORM material_file_check(k, NEW.format, NEW.size_bytes);
        RETURN NEW;
    END IF;

    IF OLD.replaced_at IS NOT NULL THEN
        RAISE EXCEPTION 'material %: a superseded file never changes', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.replaced_at IS NULL
       OR (NEW.id, NEW.order_id, NEW.kind, NEW.sha256, NEW.size_bytes, NEW.format, NEW.width,
           NEW.height, NEW.pages, NEW.original_name, NEW.account_id, NEW.uploaded_at)
          IS DISTINCT FROM
          (OLD.id, OLD.order_id, OLD.kind, OLD.sha256, OLD.size_bytes, OLD.format, OLD.width,
           OLD.height, OLD.pages, OLD.original_name, OLD.account_id, OLD.uploaded_at)
    THEN
        RAISE EXCEPTION 'material %: only replaced_at and replaced_by are ever set, once', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO STRICT o FROM orders WHERE id = OLD.order_id FOR SHARE;
    PERFORM material_rule(o, OLD.kind, NEW.replaced_by);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION materials_guard() IS
    'materials are append only: inserted current while material_rule() allows it, superseded once, deleted only with their order';

CREATE TRIGGER materials_guard BEFORE INSERT OR UPDATE OR DELETE ON materials
    FOR EACH ROW EXECUTE FUNCTION materials_guard();

-- The transfer's details are written as the order enters pending_voucher
-- (api.order_pay: the transition, then the row), for the amount the order
-- was submitted for.
CREATE FUNCTION order_transfers_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    o orders;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.order_id <> OLD.order_id THEN
        RAISE EXCEPTION 'a transfer stays with its order'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO STRICT o FROM orders WHERE id = NEW.order_id FOR SHARE;
    IF o.state <> 'pending_voucher' THEN
        PERFORM raise_api_error('CH409', 'order_not_awaiting_voucher',
                                format('订单当前状态为“%s”，不能选择公对公转账',
                                       (SELECT name FROM order_states WHERE code = o.state)));
    END IF;
    IF NEW.amount_fen IS DISTINCT FROM o.amount_fen THEN
        RAISE EXCEPTION 'order %: the transfer is for the order''s amount_fen (%), not %',
                        o.id, o.amount_fen, NEW.amount_fen
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION order_transfers_guard() IS
    'order_transfers is written only while the order is pending_voucher (CH409), for the order''s amount';

CREATE TRIGGER order_transfers_guard BEFORE INSERT OR UPDATE ON order_transfers
    FOR EACH ROW EXECUTE FUNCTION order_transfers_guard();

-- The JSON of files ---------------------------------------------------------

CREATE FUNCTION material_media_type(p_format text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE p_format WHEN 'jpg' THEN 'image/jpeg' WHEN 'png' THEN 'image/png'
                     WHEN 'bmp' THEN 'image/bmp' WHEN 'pdf' THEN 'application/pdf' END;
COMMENT ON FUNCTION material_media_type(text) IS 'the Content-Type a file of the format is served with';

-- one file, as the API shows it (the material object of the contract)
CREATE FUNCTION material_json(m materials)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object(
        'kind', m.kind,
        'kind_name', mk.name,
        'name', m.original_name,
        'format', m.format,
        'media_type', material_media_type(m.format),
        'size', m.size_bytes,
        'width', m.width,
        'height', m.height,
        'pages', m.pages,
        'sha256', m.sha256,
        'uploaded_at', m.uploaded_at,
        'url', '/api/orders/' || m.order_id || '/materials/' || m.kind)
    FROM material_kinds mk
    WHERE mk.code = m.kind AND m.id IS NOT NULL
$$;
COMMENT ON FUNCTION material_json(materials) IS 'a file as the API shows it: kind, name, format, media type, size, dimensions, pages, sha256, upload time, url; NULL for none';

-- the materials of the order's offer in the kinds' order, each with its
-- rules and its current file or null: the order JSON's "materials" and the
-- answer of a removal
CREATE FUNCTION order_materials_json(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(json_build_object(
               'kind', mk.code,
               'kind_name', mk.name,
               'note', mk.note,
               'hint', mk.hint,
               'required', psm.required,
               'formats', mk.formats,
               'max_bytes', mk.max_bytes,
               'file', material_json(m))
             ORDER BY mk.sort_order), '[]'::json)
    FROM project_service_materials psm
    JOIN material_kinds mk ON mk.code = psm.material_kind
    LEFT JOIN materials m ON m.order_id = p_order.id AND m.kind = psm.material_kind
                         AND m.replaced_at IS NULL
    WHERE psm.project_code = p_order.project_code AND psm.service = p_order.service
      AND psm.cert_type = p_order.cert_type
$$;
COMMENT ON FUNCTION order_materials_json(orders) IS 'the materials the order''s offer asks for, in order, with their rules and current file (or null)';

-- What a submission needs, now with the files -------------------------------

-- As before, and between the information and the invoice (the order of
-- the steps on screen) each required material with no current file, as
-- {"item":"material","kind","message"} in the kinds' order.  Optional
-- materials are never missing.
CREATE OR REPLACE FUNCTION order_missing(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(m.item ORDER BY m.step, m.sort_order), '[]'::json)
    FROM (
        SELECT 1 AS step, 0 AS sort_order,
               json_build_object('item', 'info', 'message', '请填写基本信息') AS item
        WHERE NOT EXISTS (SELECT FROM order_info WHERE order_id = p_order.id)
        UNION ALL
        SELECT 2, mk.sort_order,
               json_build_object('item', 'material', 'kind', mk.code, 'message', '请上传' || mk.name)
        FROM project_service_materials psm
        JOIN material_kinds mk ON mk.code = psm.material_kind
        WHERE psm.project_code = p_order.project_code AND psm.service = p_order.service
          AND psm.cert_type = p_order.cert_type AND psm.required
          AND NOT EXISTS (SELECT FROM materials x
                          WHERE x.order_id = p_order.id AND x.kind = psm.material_kind
                            AND x.replaced_at IS NULL)
        UNION ALL
        SELECT 3, 0, json_build_object('item', 'invoice', 'message', '请填写开票信息')
        WHERE NOT EXISTS (SELECT FROM order_invoice WHERE order_id = p_order.id)
    ) AS m
$$;
COMMENT ON FUNCTION order_missing(orders) IS
    'what an order lacks before it can be submitted: [{"item","message"}] for info and invoice, [{"item":"material","kind","message"}] for each required file not uploaded';

-- The submission check, now also at the resubmission: a rejected order may
-- lose a file (the applicant removes it to correct it), and goes back to
-- review only complete, like the first time.  The agreement and the
-- delivery were fixed by the first submission (orders_guard).
CREATE OR REPLACE FUNCTION orders_submission_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_missing json;
BEGIN
    IF (OLD.state = 'draft' AND NEW.state = 'pending_payment')
       OR (OLD.state = 'rejected' AND NEW.state = 'pending_review')
    THEN
        v_missing := order_missing(NEW);
        IF json_array_length(v_missing) > 0 THEN
            PERFORM raise_api_error('CH422', 'incomplete',
                '订单尚未填写完整：' || (SELECT string_agg(e->>'message', '；')
                                          FROM json_array_elements(v_missing) e));
        END IF;
        IF NEW.agreed_at IS NULL THEN
            PERFORM raise_api_error('CH422', 'incomplete', '请阅读并同意数字证书申请责任书', 'agree');
        END IF;
        IF NEW.delivery_method IS NULL THEN
            PERFORM raise_api_error('CH422', 'incomplete', '请选择领取方式', 'delivery');
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION orders_submission_check() IS
    'a draft is submitted, and a rejected order resubmitted, only with its information, required materials, invoice, agreement and delivery';

-- The order JSON gains the files and the transfer ---------------------------

-- As in 0005, and:
--   "materials"  order_materials_json(): the offer's kinds with their files
--   "transfer"   the bank details shown when transfer was chosen, or null
--   "voucher"    the current transfer voucher, or null
CREATE OR REPLACE FUNCTION order_json(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object(
        'id', o.id,
        'project', o.project_code,
        'project_name', p.name,
        'service', o.service,
        'service_name', sv.name,
        'cert_type', o.cert_type,
        'cert_type_name', ct.name,
        'business', p.name || ' ' || ct.name || '-' || sv.short_name,
        'state', o.state,
        'state_name', order_state_name(st.name, o.state, o.delivery_method),
        'created_at', o.created_at,
        'submitted_at', o.submitted_at,
        'price_fen', ps.price_fen,
        'amount_fen', o.amount_fen,
        'certificate', (SELECT json_build_object(
                            'id', c.id, 'serial', c.serial, 'name', c.name,
                            'valid_from', c.valid_from, 'valid_to', c.valid_to,
                            'remaining_days', certificate_remaining_days(c.valid_to))
                        FROM certificates c WHERE c.id = o.certificate_id),
        'info', (SELECT CASE WHEN i.org_name IS NOT NULL THEN
                            json_build_object(
                                'org_name', i.org_name, 'uscc', i.uscc,
                                'legal_name', i.person_name,
                                'legal_id_number', i.person_id_masked,
                                'handler_name', i.handler_name,
                                'mobile', i.mobile, 'email', i.email,
                                'updated_at', i.updated_at)
                        ELSE
                            json_build_object(
                                'name', i.person_name,
                                'id_number', i.person_id_masked,
                                'mobile', i.mobile, 'email', i.email,
                                'updated_at', i.updated_at)
                        END
                 FROM order_info i WHERE i.order_id = o.id),
        'materials', order_materials_json(p_order),
        'invoice', (SELECT json_build_object(
                        'title_type', v.title_type, 'title', v.title,
                        'taxpayer_id', v.taxpayer_id, 'email', v.email,
                        'mobile', v.mobile, 'remark', v.remark,
                        'updated_at', v.updated_at)
                    FROM order_invoice v WHERE v.order_id = o.id),
        'delivery', CASE o.delivery_method
                        WHEN 'express' THEN json_build_object(
                            'method', 'express', 'recipient', o.delivery_recipient,
                            'mobile', o.delivery_mobile, 'region', o.delivery_region,
                            'detail', o.delivery_detail, 'postal_code', o.delivery_postal_code)
                        WHEN 'pickup' THEN (SELECT json_build_object(
                            'method', 'pickup', 'pickup_point', pp.code, 'name', pp.name,
                            'address', pp.address, 'phone', pp.phone, 'hours', pp.hours)
                            FROM pickup_points pp WHERE pp.code = o.pickup_point)
                    END,
        'agreed_at', o.agreed_at,
        'transfer', (SELECT json_build_object(
                         'payee', t.payee, 'bank', t.bank, 'account', t.account,
                         'amount_fen', t.amount_fen, 'chosen_at', t.chosen_at)
                     FROM order_transfers t WHERE t.order_id = o.id),
        'voucher', (SELECT material_json(m) FROM materials m
                    WHERE m.order_id = o.id AND m.kind = 'transfer_voucher'
                      AND m.replaced_at IS NULL),
        'invoice_state', order_invoice_state(o),
        'invoice_state_name', invoice_state_name(order_invoice_state(o)),
        'missing', CASE WHEN o.state = 'draft' THEN order_missing(o) ELSE '[]'::json END,
        'actions', order_actions(o),
        'timeline', (SELECT coalesce(json_agg(json_build_object(
                            'at', e.created_at,
                            'from', e.from_state, 'from_name', fs.name,
                            'to', e.to_state, 'to_name', ts.name,
                            'action', coalesce(t.action, 'create'),
                            'action_name', coalesce(t.action_name, '创建订单'),
                            'actor', e.actor_kind, 'actor_name', ak.name,
                            'reason', e.reason) ORDER BY e.id), '[]'::json)
                     FROM order_events e
                     JOIN order_states ts ON ts.code = e.to_state
                     JOIN actor_kinds ak ON ak.code = e.actor_kind
                     LEFT JOIN order_states fs ON fs.code = e.from_state
                     LEFT JOIN order_transitions t
                            ON (t.from_state, t.to_state, t.actor_kind)
                               = (e.from_state, e.to_state, e.actor_kind)
                     WHERE e.order_id = o.id))
    FROM (SELECT p_order.*) o
    JOIN projects p ON p.code = o.project_code
    JOIN services sv ON sv.code = o.service
    JOIN cert_types ct ON ct.code = o.cert_type
    JOIN order_states st ON st.code = o.state
    JOIN project_services ps USING (project_code, service, cert_type)
$$;
COMMENT ON FUNCTION order_json(orders) IS 'the JSON of GET /api/orders/{id}: the order, its certificate, information, materials, invoice, delivery, transfer, voucher and timeline';

-- The API: files ------------------------------------------------------------

-- POST /api/orders/{id}/materials/{kind} and POST /api/orders/{id}/voucher,
-- before the body is read: whether the upload may happen at all (401, 403,
-- 404, 409) and, if so, what the module checks the file against.  Reads
-- only; material_put() asks the same rule again with the order locked.
CREATE FUNCTION api.upload_check(p_token text, p_csrf text, p_order_id text, p_kind text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, false);
    k material_kinds := material_rule(o, p_kind, 'upload');
BEGIN
    RETURN json_build_object('max_bytes', k.max_bytes, 'formats', k.formats,
                             'color_required', k.color_required);
END
$$;
COMMENT ON FUNCTION api.upload_check(text, text, text, text) IS
    'before an upload''s body is read: {"max_bytes","formats","color_required"} of the kind, or CH401/CH403/CH404/CH409';

-- The file is checked and stored under its sha256: its row.  With the
-- order locked, the rule is asked again (the order may have been submitted
-- while the body streamed in), the file against its kind; the current file
-- of the kind is superseded by this one.  The voucher also moves the order
-- on to review, in the same transaction: voucher and transition commit
-- together or not at all.  Returns the material object (201).
CREATE FUNCTION api.material_put(p_token text, p_csrf text, p_order_id text, p_kind text,
                                 p_sha256 text, p_size bigint, p_format text,
                                 p_width integer, p_height integer, p_pages integer,
                                 p_name text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
    k material_kinds := material_rule(o, p_kind, 'upload');
    m materials;
    -- The time of the change, read once the order is locked: not now(),
    -- the start of this transaction, which may be earlier than the upload
    -- of a concurrent one that took the lock first and committed the row
    -- this one replaces (replaced_at >= uploaded_at would then fail).
    v_at timestamptz := clock_timestamp();
BEGIN
    PERFORM material_file_check(k, p_format, p_size);

    UPDATE materials SET replaced_at = v_at, replaced_by = 'upload'
     WHERE order_id = o.id AND kind = k.code AND replaced_at IS NULL;
    INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height, pages,
                           original_name, account_id, uploaded_at)
    VALUES (o.id, k.code, p_sha256, p_size, p_format, p_width, p_height, p_pages,
            -- no file name sent: the kind's name, as 法人身份证正面.jpg
            coalesce(nullif(btrim(p_name), ''), k.name || '.' || p_format), s.account_id,
            v_at)
    RETURNING * INTO m;

    IF k.code = 'transfer_voucher' THEN
        PERFORM order_transition(o.id, 'pending_review', 'applicant', s.account_id);
    END IF;
    RETURN material_json(m);
END
$$;
COMMENT ON FUNCTION api.material_put(text, text, text, text, text, bigint, text, integer, integer, integer, text) IS
    'an uploaded, checked and stored file: supersedes the kind''s current one; the voucher moves the order pending_voucher -> pending_review; CH401/403/404/409/413/422';

-- GET /api/orders/{id}/materials/{kind}: which stored file to send, and how.
-- No current file is 404 no_such_material, the code of a kind not asked:
-- to the client both mean "the order has no such file" (the message tells
-- them apart).
CREATE FUNCTION api.material_get(p_token text, p_order_id text, p_kind text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
    o orders := applicant_order(s.account_id, p_order_id, false);
    m materials;
BEGIN
    SELECT * INTO m FROM materials
    WHERE order_id = o.id AND kind = p_kind AND replaced_at IS NULL;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'no_such_material', '尚未上传此项资料');
    END IF;
    RETURN json_build_object('sha256', m.sha256, 'format', m.format,
                             'media_type', material_media_type(m.format),
                             'size', m.size_bytes, 'name', m.original_name);
END
$$;
COMMENT ON FUNCTION api.material_get(text, text, text) IS
    'GET /api/orders/{id}/materials/{kind}: {"sha256","format","media_type","size","name"} of the current file (CH404 no_such_material if none, order_not_found if not the account''s order)';

-- DELETE /api/orders/{id}/materials/{kind}: the current file is superseded
-- by nothing (the file and its row stay: the history); answers the order's
-- list of materials.  The voucher is never removed.
CREATE FUNCTION api.material_delete(p_token text, p_csrf text, p_order_id text, p_kind text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
BEGIN
    PERFORM material_rule(o, p_kind, 'delete');
    -- the time once the order is locked (see api.material_put)
    UPDATE materials SET replaced_at = clock_timestamp(), replaced_by = 'delete'
     WHERE order_id = o.id AND kind = p_kind AND replaced_at IS NULL;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'no_such_material', '尚未上传此项资料');
    END IF;
    -- a statement of its own, after the update: the list sees the removal
    RETURN json_build_object('materials', order_materials_json(o));
END
$$;
COMMENT ON FUNCTION api.material_delete(text, text, text, text) IS
    'DELETE /api/orders/{id}/materials/{kind}: {"materials":[...]} without the file; CH404 no_such_material (not asked, or none), CH409 not editable or the voucher';

-- The API: paying by bank transfer -----------------------------------------

-- POST /api/orders/{id}/pay with method=transfer: the order goes
-- pending_payment -> pending_voucher through the state machine (which
-- refuses any other state with its CH409 illegal_transition), and the bank
-- details the module was configured with are kept as shown, for the
-- order's amount.  Choosing transfer again after going back to Alipay
-- renews them.  Alipay is a later issue: the module answers it itself;
-- here any method but transfer is a bad field.
CREATE FUNCTION api.order_pay(p_token text, p_csrf text, p_order_id text, p_method text,
                              p_payee text, p_bank text, p_account text)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, true);
    t order_transfers;
BEGIN
    IF p_method IS DISTINCT FROM 'transfer' THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请选择正确的支付方式', 'method');
    END IF;

    o := order_transition(o.id, 'pending_voucher', 'applicant', s.account_id);
    INSERT INTO order_transfers (order_id, payee, bank, account, amount_fen)
    VALUES (o.id, p_payee, p_bank, p_account, o.amount_fen)
    ON CONFLICT (order_id) DO UPDATE
       SET payee = EXCLUDED.payee, bank = EXCLUDED.bank, account = EXCLUDED.account,
           amount_fen = EXCLUDED.amount_fen, chosen_at = now()
    RETURNING * INTO t;

    -- a statement of its own: the order's JSON must see the event and the
    -- transfer written above
    RETURN json_build_object('method', 'transfer', 'amount_fen', t.amount_fen,
                             'payee', t.payee, 'bank', t.bank, 'account', t.account,
                             'note', '转账凭证的付款单位名称须与申请单位名称一致',
                             'order', order_json(o));
END
$$;
COMMENT ON FUNCTION api.order_pay(text, text, text, text, text, text, text) IS
    'POST /api/orders/{id}/pay (transfer): pending_payment -> pending_voucher, the bank details kept; CH400 method, CH404, CH409 illegal_transition';
