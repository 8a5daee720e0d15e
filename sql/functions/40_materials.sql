-- Uploaded files (materials): the rule of each kind, the upload check the
-- module asks before it stores a file, put / get / delete, the guard that
-- keeps them to editable orders, and an order's materials as JSON.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

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
CREATE OR REPLACE FUNCTION material_rule(p_order orders, p_kind text, p_change text DEFAULT 'upload')
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
CREATE OR REPLACE FUNCTION material_file_check(p_kind material_kinds, p_format text, p_size bigint)
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
                                       -- exact, never rounded: 2M = 2 MiB
                                       CASE WHEN p_kind.max_bytes % 1048576 = 0
                                            THEN (p_kind.max_bytes / 1048576) || 'M'
                                            WHEN p_kind.max_bytes % 1024 = 0
                                            THEN (p_kind.max_bytes / 1024) || 'K'
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
CREATE OR REPLACE FUNCTION materials_guard()
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

CREATE OR REPLACE TRIGGER materials_guard BEFORE INSERT OR UPDATE OR DELETE ON materials
    FOR EACH ROW EXECUTE FUNCTION materials_guard();

-- The JSON of files ---------------------------------------------------------

CREATE OR REPLACE FUNCTION material_media_type(p_format text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE p_format WHEN 'jpg' THEN 'image/jpeg' WHEN 'png' THEN 'image/png'
                     WHEN 'bmp' THEN 'image/bmp' WHEN 'pdf' THEN 'application/pdf' END;

COMMENT ON FUNCTION material_media_type(text) IS 'the Content-Type a file of the format is served with';

-- one file, as the API shows it (the material object of the contract)
CREATE OR REPLACE FUNCTION material_json(m materials)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
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
        WHERE mk.code = m.kind AND m.id IS NOT NULL);
END
$$;

COMMENT ON FUNCTION material_json(materials) IS 'a file as the API shows it: kind, name, format, media type, size, dimensions, pages, sha256, upload time, url; NULL for none';

-- The API: files ------------------------------------------------------------

-- POST /api/orders/{id}/materials/{kind} and POST /api/orders/{id}/voucher,
-- before the body is read: whether the upload may happen at all (401, 403,
-- 404, 409) and, if so, what the module checks the file against, as named
-- columns (the module reads them by name).  Reads only; material_put()
-- asks the same rule again with the order locked.
CREATE OR REPLACE FUNCTION api.upload_rule(p_token text, p_csrf text, p_order_id text, p_kind text,
                                           OUT max_bytes bigint, OUT formats text[],
                                           OUT color_required boolean)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, p_csrf, true);
    o orders := applicant_order(s.account_id, p_order_id, false);
    k material_kinds := material_rule(o, p_kind, 'upload');
BEGIN
    max_bytes := k.max_bytes;
    formats := k.formats;
    color_required := k.color_required;
END
$$;

COMMENT ON FUNCTION api.upload_rule(text, text, text, text) IS
    'before an upload''s body is read: (max_bytes, formats, color_required) of the kind, or CH401/CH403/CH404/CH409';

-- The same answer as one JSON object, the shape the API's SQL functions
-- answer in (t/sql/008_materials.pg holds it to that); the module asks
-- api.upload_rule.
CREATE OR REPLACE FUNCTION api.upload_check(p_token text, p_csrf text, p_order_id text, p_kind text)
RETURNS json
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object('max_bytes', r.max_bytes, 'formats', r.formats,
                             'color_required', r.color_required)
    FROM api.upload_rule(p_token, p_csrf, p_order_id, p_kind) AS r
$$;

COMMENT ON FUNCTION api.upload_check(text, text, text, text) IS
    'before an upload''s body is read: {"max_bytes","formats","color_required"} of the kind, or CH401/CH403/CH404/CH409';

-- The file is checked and stored under its sha256: its row.  With the
-- order locked, the rule is asked again (the order may have been submitted
-- while the body streamed in), the file against its kind; the current file
-- of the kind is superseded by this one.  The voucher also moves the order
-- on to review, in the same transaction: voucher and transition commit
-- together or not at all.  Returns the material object (201).
CREATE OR REPLACE FUNCTION api.material_put(p_token text, p_csrf text, p_order_id text, p_kind text,
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

-- GET /api/orders/{id}/materials/{kind}: which stored file to send, and how,
-- as named columns (the module reads them by name).  No current file is
-- 404 no_such_material, the code of a kind not asked: to the client both
-- mean "the order has no such file" (the message tells them apart).
CREATE OR REPLACE FUNCTION api.material_file(p_token text, p_order_id text, p_kind text,
                                             OUT sha256 text, OUT format text,
                                             OUT media_type text, OUT size bigint,
                                             OUT name text)
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
    sha256 := m.sha256;
    format := m.format;
    media_type := material_media_type(m.format);
    size := m.size_bytes;
    name := m.original_name;
END
$$;

COMMENT ON FUNCTION api.material_file(text, text, text) IS
    'GET /api/orders/{id}/materials/{kind}: (sha256, format, media_type, size, name) of the current file (CH404 no_such_material if none, order_not_found if not the account''s order)';

-- The same answer as one JSON object, the shape the API's SQL functions
-- answer in (t/sql/008_materials.pg holds it to that); the module asks
-- api.material_file.
CREATE OR REPLACE FUNCTION api.material_get(p_token text, p_order_id text, p_kind text)
RETURNS json
LANGUAGE sql
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object('sha256', f.sha256, 'format', f.format, 'media_type', f.media_type,
                             'size', f.size, 'name', f.name)
    FROM api.material_file(p_token, p_order_id, p_kind) AS f
$$;

COMMENT ON FUNCTION api.material_get(text, text, text) IS
    'GET /api/orders/{id}/materials/{kind}: {"sha256","format","media_type","size","name"} of the current file (CH404 no_such_material if none, order_not_found if not the account''s order)';

-- DELETE /api/orders/{id}/materials/{kind}: the current file is superseded
-- by nothing (the file and its row stay: the history); answers the order's
-- list of materials.  The voucher is never removed.
CREATE OR REPLACE FUNCTION api.material_delete(p_token text, p_csrf text, p_order_id text, p_kind text)
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

-- the materials of the order's offer in the kinds' order, each with its
-- rules, its current file or null, and "sample_url": the example to show
-- beside the material (null when the kind has none).  The order JSON's
-- "materials" and the answer of a removal.
CREATE OR REPLACE FUNCTION order_materials_json(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT coalesce(json_agg(json_build_object(
                   'kind', mk.code,
                   'kind_name', mk.name,
                   'note', mk.note,
                   'hint', mk.hint,
                   'required', psm.required,
                   'formats', mk.formats,
                   'max_bytes', mk.max_bytes,
                   'sample_url', mk.sample_path,
                   'file', material_json(m))
                 ORDER BY mk.sort_order), '[]'::json)
        FROM project_service_materials psm
        JOIN material_kinds mk ON mk.code = psm.material_kind
        LEFT JOIN materials m ON m.order_id = p_order.id AND m.kind = psm.material_kind
                             AND m.replaced_at IS NULL
        WHERE psm.project_code = p_order.project_code AND psm.service = p_order.service
          AND psm.cert_type = p_order.cert_type);
END
$$;

COMMENT ON FUNCTION order_materials_json(orders) IS 'the materials the order''s offer asks for, in order, with their rules, their example (sample_url) and current file (or null)';
