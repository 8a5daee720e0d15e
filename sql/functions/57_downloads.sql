-- The download centre (下载中心): what the public page lists
-- (api.downloads), the file GET /api/downloads/{id} serves
-- (api.download_file), and the admins' additions, replacements,
-- retirements and edits, from the back office (admin.download_*) or the
-- command line (admin.download_add_as), each audited.
--
-- The files themselves are in the module's storage under their SHA-256
-- (sql/migrations/0016_downloads.sql); the back office writes a file there
-- before it calls these, and removes it again when they refuse.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- The checks ---------------------------------------------------------------------

-- What describes a download, checked and trimmed: CH422 unknown_category,
-- unknown_project, invalid_title, invalid_description; an empty project is
-- "every project" (the form's 通用), an empty description none.
CREATE OR REPLACE FUNCTION download_described(p_category text, p_project text, p_title text,
                                              p_description text,
                                              OUT category text, OUT project text,
                                              OUT title text, OUT description text)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT c.code INTO category FROM download_categories c WHERE c.code = staff_text(p_category);
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH422', 'unknown_category', '请选择文件类别', 'category');
    END IF;

    project := staff_text(p_project);
    IF project IS NOT NULL AND NOT EXISTS (SELECT FROM projects p WHERE p.code = project) THEN
        PERFORM raise_api_error('CH422', 'unknown_project', '申请项目不存在', 'project');
    END IF;

    title := staff_text(p_title);
    IF title IS NULL OR char_length(title) NOT BETWEEN 2 AND 100
       OR title ~ '[\u0001-\u001f\u007f-\u009f]'
    THEN
        PERFORM raise_api_error('CH422', 'invalid_title', '标题应为2至100个字', 'title');
    END IF;

    description := staff_text(p_description);
    IF char_length(description) > 500 THEN
        PERFORM raise_api_error('CH422', 'invalid_description', '说明不能超过500个字', 'description');
    END IF;
END
$$;

COMMENT ON FUNCTION download_described(text, text, text, text) IS
    'a download''s category, project (NULL: every project), title and description checked and trimmed: CH422 unknown_category, unknown_project, invalid_title, invalid_description';

-- A file as the back office stored it: CH422 invalid_file (field "file")
-- for a name, type, size or hash no stored file can have.  The type comes
-- from the name's extension (lib/ch_download.c), which the back office
-- refuses before it gets here; this is the database's last line.
CREATE OR REPLACE FUNCTION download_file_check(p_file_name text, p_media_type text,
                                               p_size_bytes bigint, p_sha256 text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_file_name IS NULL OR char_length(p_file_name) NOT BETWEEN 1 AND 120
       OR p_file_name ~ '[\u0001-\u001f\u007f-\u009f/\\]' OR p_file_name ~ '^[. ]'
    THEN
        PERFORM raise_api_error('CH422', 'invalid_file', '文件名应为1至120个字，且不含路径和控制字符', 'file');
    END IF;
    IF p_media_type IS NULL OR p_media_type !~ '^[a-z]+/[a-z0-9.+-]+$' THEN
        PERFORM raise_api_error('CH422', 'invalid_file', '不支持此类文件', 'file');
    END IF;
    IF p_size_bytes IS NULL OR p_size_bytes <= 0 THEN
        PERFORM raise_api_error('CH422', 'invalid_file', '文件是空的', 'file');
    END IF;
    IF p_sha256 IS NULL OR p_sha256 !~ '^[0-9a-f]{64}$' THEN
        PERFORM raise_api_error('CH422', 'invalid_file', '文件的校验值有误', 'file');
    END IF;
END
$$;

COMMENT ON FUNCTION download_file_check(text, text, bigint, text) IS
    'CH422 invalid_file (field file) unless the name (1..120, no path or control character), media type, size (> 0) and SHA-256 (64 lower-case hex) can be a stored file''s';

-- The download p_id, locked for a change: CH404 download_not_found, and
-- CH409 download_retired when it was withdrawn (nothing changes a retired
-- one: it is history)
CREATE OR REPLACE FUNCTION download_for_change(p_id bigint)
RETURNS downloads
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    d downloads;
BEGIN
    SELECT * INTO d FROM downloads x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'download_not_found', '文件不存在');
    END IF;
    IF d.retired_at IS NOT NULL THEN
        PERFORM raise_api_error('CH409', 'download_retired', '该文件已下架，不能再修改');
    END IF;
    RETURN d;
END
$$;

COMMENT ON FUNCTION download_for_change(bigint) IS 'the download, locked: CH404 download_not_found, CH409 download_retired';

-- The current version of a download: its highest
CREATE OR REPLACE FUNCTION download_current(p_id bigint)
RETURNS download_versions
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT * FROM download_versions v WHERE v.download_id = p_id ORDER BY v.version DESC LIMIT 1
$$;

COMMENT ON FUNCTION download_current(bigint) IS 'the current (highest) version of a download';

-- a download as the audit records a change
CREATE OR REPLACE FUNCTION download_audit_json(p_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object('category', d.category, 'project', d.project_code, 'title', d.title,
                              'description', d.description, 'sort_order', d.sort_order,
                              'version', v.version, 'file_name', v.file_name,
                              'size_bytes', v.size_bytes, 'sha256', v.sha256)
    FROM downloads d, download_current(d.id) v
    WHERE d.id = p_id
$$;

COMMENT ON FUNCTION download_audit_json(bigint) IS 'a download and its current version as the audit records a change';

-- The public page --------------------------------------------------------------

-- the groups of the page, in order: the public list and the back office's
CREATE OR REPLACE FUNCTION download_categories_json()
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(json_build_object('code', c.code, 'name', c.name) ORDER BY c.sort_order),
                    '[]')
    FROM download_categories c
$$;

COMMENT ON FUNCTION download_categories_json() IS 'the download categories [{code, name}] in their order';

-- A download as the page lists it, with its current version
CREATE OR REPLACE FUNCTION download_entry_json(p_d downloads)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object(
        'id',            p_d.id,
        'category',      p_d.category,
        'category_name', (SELECT c.name FROM download_categories c WHERE c.code = p_d.category),
        'project',       p_d.project_code,
        'project_name',  (SELECT p.name FROM projects p WHERE p.code = p_d.project_code),
        'title',         p_d.title,
        'description',   p_d.description,
        'version',       v.version,
        'file_name',     v.file_name,
        'media_type',    v.media_type,
        'size_bytes',    v.size_bytes,
        'sha256',        v.sha256,
        'updated_at',    v.uploaded_at,
        'url',           '/api/downloads/' || p_d.id)
    FROM download_current(p_d.id) v
$$;

COMMENT ON FUNCTION download_entry_json(downloads) IS
    'a download as GET /api/downloads lists it: what describes it, its current version, its url';

-- The offered downloads (current version each) in the page's order:
-- category, general before a project's, sort_order, title
CREATE OR REPLACE FUNCTION api.downloads(p_project text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_project IS NOT NULL AND NOT EXISTS (SELECT FROM projects p WHERE p.code = p_project) THEN
        PERFORM raise_api_error('CH404', 'project_not_found', '申请项目不存在', 'project');
    END IF;

    RETURN json_build_object(
        'categories', download_categories_json(),
        'downloads',
        (SELECT coalesce(json_agg(download_entry_json(d)
                                  ORDER BY c.sort_order, d.project_code IS NOT NULL, d.sort_order,
                                           d.title, d.id), '[]')
         FROM downloads d
         JOIN download_categories c ON c.code = d.category
         WHERE d.retired_at IS NULL
           AND (p_project IS NULL OR d.project_code IS NULL OR d.project_code = p_project)));
END
$$;

COMMENT ON FUNCTION api.downloads(text) IS
    'GET /api/downloads[?project=]: the categories, and the offered downloads with their current version (all, or the project''s and the general ones); public; CH404 project_not_found';

-- GET /api/downloads/{id}: the file to serve
CREATE OR REPLACE FUNCTION api.download_file(p_id bigint)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    v download_versions;
BEGIN
    IF NOT EXISTS (SELECT FROM downloads d WHERE d.id = p_id AND d.retired_at IS NULL) THEN
        PERFORM raise_api_error('CH404', 'download_not_found', '文件不存在或已下架');
    END IF;
    v := download_current(p_id);
    RETURN json_build_object('sha256', v.sha256, 'file_name', v.file_name,
                             'media_type', v.media_type, 'size_bytes', v.size_bytes,
                             'version', v.version);
END
$$;

COMMENT ON FUNCTION api.download_file(bigint) IS
    'GET /api/downloads/{id}: the current version''s sha256, file_name, media_type, size_bytes, version; public; CH404 download_not_found (unknown or retired)';

-- The back office ----------------------------------------------------------------

CREATE OR REPLACE FUNCTION admin.downloads(p_include_retired boolean)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object(
        'categories', download_categories_json(),
        'downloads',
        (SELECT coalesce(json_agg(download_entry_json(d)::jsonb || jsonb_build_object(
                    'sort_order',     d.sort_order,
                    'created_at',     d.created_at,
                    'created_by',     (SELECT s.name FROM staff s WHERE s.id = d.created_by),
                    'retired_at',     d.retired_at,
                    'retired_by',     (SELECT s.name FROM staff s WHERE s.id = d.retired_by),
                    'retired_reason', d.retired_reason,
                    'versions',
                    (SELECT jsonb_agg(jsonb_build_object(
                                'version',     v.version,
                                'file_name',   v.file_name,
                                'media_type',  v.media_type,
                                'size_bytes',  v.size_bytes,
                                'sha256',      v.sha256,
                                'note',        v.note,
                                'uploaded_at', v.uploaded_at,
                                'uploaded_by', us.name)
                              ORDER BY v.version DESC)
                     FROM download_versions v LEFT JOIN staff us ON us.id = v.uploaded_by
                     WHERE v.download_id = d.id))
                  ORDER BY d.retired_at IS NOT NULL, c.sort_order, d.project_code IS NOT NULL,
                           d.sort_order, d.title, d.id), '[]')
         FROM downloads d
         JOIN download_categories c ON c.code = d.category
         WHERE coalesce(p_include_retired, false) OR d.retired_at IS NULL))
$$;

COMMENT ON FUNCTION admin.downloads(boolean) IS
    'the back office''s 下载中心: the categories and every download (the retired ones too if asked, last): its public entry (current version) with its order, author, retirement and all its versions, newest first';

-- A new download and its version 1, by staff member p_staff_id (an admin)
CREATE OR REPLACE FUNCTION download_insert(p_staff_id bigint, p_login text, p_client inet, p_detail text,
                                           p_category text, p_project text, p_title text,
                                           p_description text, p_file_name text, p_media_type text,
                                           p_size_bytes bigint, p_sha256 text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    c    record := download_described(p_category, p_project, p_title, p_description);
    v_id bigint;
BEGIN
    PERFORM download_file_check(p_file_name, p_media_type, p_size_bytes, p_sha256);
    INSERT INTO downloads (category, project_code, title, description, created_by)
    VALUES (c.category, c.project, c.title, c.description, p_staff_id)
    RETURNING id INTO v_id;
    INSERT INTO download_versions (download_id, version, file_name, media_type, size_bytes, sha256,
                                   uploaded_by)
    VALUES (v_id, 1, p_file_name, p_media_type, p_size_bytes, p_sha256, p_staff_id);
    PERFORM staff_audit_add(p_staff_id, p_login, 'download_add', NULL, v_id::text, NULL,
                            download_audit_json(v_id), p_detail, p_client);
    RETURN v_id;
END
$$;

COMMENT ON FUNCTION download_insert(bigint, text, inet, text, text, text, text, text, text, text, bigint, text) IS
    'a new download with its version 1, audited (download_add) as p_staff_id; the checks of download_described and download_file_check';

CREATE OR REPLACE FUNCTION admin.download_add(p_token text, p_csrf text, p_client inet, p_category text,
                                              p_project text, p_title text, p_description text,
                                              p_file_name text, p_media_type text,
                                              p_size_bytes bigint, p_sha256 text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s record := staff_acting(p_token, p_csrf, 'admin');
BEGIN
    RETURN download_insert(s.staff_id, s.login, p_client, NULL, p_category, p_project, p_title,
                           p_description, p_file_name, p_media_type, p_size_bytes, p_sha256);
END
$$;

COMMENT ON FUNCTION admin.download_add(text, text, inet, text, text, text, text, text, text, bigint, text) IS
    '新增下载文件 (admin, CSRF): CH401, CH403, CH422 unknown_category, unknown_project, invalid_title, invalid_description, invalid_file; audited (download_add); returns the id';

-- The command line (certhall-admin download-add): no session, so the
-- operator names an active admin, who is recorded as its author
CREATE OR REPLACE FUNCTION admin.download_add_as(p_login text, p_category text, p_project text,
                                                 p_title text, p_description text, p_file_name text,
                                                 p_media_type text, p_size_bytes bigint,
                                                 p_sha256 text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    st staff;
BEGIN
    SELECT * INTO st FROM staff x WHERE x.login = staff_login_key(p_login) AND x.active;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'staff_not_found', '员工不存在或已停用', 'login');
    END IF;
    PERFORM staff_require_role(staff_roles_of(st.id), 'admin');
    RETURN download_insert(st.id, st.login, NULL, '命令行', p_category, p_project, p_title,
                           p_description, p_file_name, p_media_type, p_size_bytes, p_sha256);
END
$$;

COMMENT ON FUNCTION admin.download_add_as(text, text, text, text, text, text, text, bigint, text) IS
    'certhall-admin download-add: as admin.download_add, by the active admin p_login (CH404 staff_not_found, CH403 role_forbidden), audited with detail 命令行';

CREATE OR REPLACE FUNCTION admin.download_replace(p_token text, p_csrf text, p_client inet, p_id bigint,
                                                  p_file_name text, p_media_type text,
                                                  p_size_bytes bigint, p_sha256 text, p_note text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'admin');
    d        downloads := download_for_change(p_id);
    v_cur    download_versions := download_current(d.id);
    v_note   text := staff_text(p_note);
    v_before jsonb := download_audit_json(d.id);
BEGIN
    PERFORM download_file_check(p_file_name, p_media_type, p_size_bytes, p_sha256);
    IF char_length(v_note) > 200 THEN
        PERFORM raise_api_error('CH422', 'invalid_note', '更新说明不能超过200个字', 'note');
    END IF;
    IF (v_cur.sha256, v_cur.file_name) = (p_sha256, p_file_name) THEN
        PERFORM raise_api_error('CH422', 'download_unchanged', '与当前版本是同一个文件，无需更新', 'file');
    END IF;
    INSERT INTO download_versions (download_id, version, file_name, media_type, size_bytes, sha256,
                                   note, uploaded_by)
    VALUES (d.id, v_cur.version + 1, p_file_name, p_media_type, p_size_bytes, p_sha256, v_note,
            s.staff_id);
    PERFORM staff_audit_add(s.staff_id, s.login, 'download_replace', NULL, d.id::text, v_before,
                            download_audit_json(d.id), v_note, p_client);
    RETURN v_cur.version + 1;
END
$$;

COMMENT ON FUNCTION admin.download_replace(text, text, inet, bigint, text, text, bigint, text, text) IS
    '更新下载文件 (admin, CSRF): the next version; CH401, CH403, CH404 download_not_found, CH409 download_retired, CH422 invalid_file, invalid_note, download_unchanged; audited (download_replace); returns the version';

CREATE OR REPLACE FUNCTION admin.download_retire(p_token text, p_csrf text, p_client inet, p_id bigint,
                                                 p_reason text)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'admin');
    d        downloads := download_for_change(p_id);
    v_reason text := staff_text(p_reason);
BEGIN
    IF v_reason IS NULL OR char_length(v_reason) > 200 THEN
        PERFORM raise_api_error('CH422', 'invalid_reason', '请填写下架原因（200字以内）', 'reason');
    END IF;
    UPDATE downloads x SET retired_at = now(), retired_by = s.staff_id, retired_reason = v_reason
     WHERE x.id = d.id;
    PERFORM staff_audit_add(s.staff_id, s.login, 'download_retire', NULL, d.id::text,
                            download_audit_json(d.id), NULL, v_reason, p_client);
END
$$;

COMMENT ON FUNCTION admin.download_retire(text, text, inet, bigint, text) IS
    '下架下载文件 (admin, CSRF): gone from the page and from GET /api/downloads/{id}; CH401, CH403, CH404 download_not_found, CH409 download_retired, CH422 invalid_reason; audited (download_retire)';

CREATE OR REPLACE FUNCTION admin.download_edit(p_token text, p_csrf text, p_client inet, p_id bigint,
                                               p_category text, p_project text, p_title text,
                                               p_description text, p_sort_order integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s        record := staff_acting(p_token, p_csrf, 'admin');
    d        downloads := download_for_change(p_id);
    c        record := download_described(p_category, p_project, p_title, p_description);
    v_before jsonb := download_audit_json(d.id);
BEGIN
    UPDATE downloads x
       SET category = c.category, project_code = c.project, title = c.title,
           description = c.description, sort_order = coalesce(p_sort_order, x.sort_order)
     WHERE x.id = d.id;
    PERFORM staff_audit_add(s.staff_id, s.login, 'download_edit', NULL, d.id::text, v_before,
                            download_audit_json(d.id), NULL, p_client);
END
$$;

COMMENT ON FUNCTION admin.download_edit(text, text, inet, bigint, text, text, text, text, integer) IS
    '修改下载信息 (admin, CSRF): category, project, title, description, sort_order (NULL: unchanged); CH401, CH403, CH404 download_not_found, CH409 download_retired, CH422 as download_add; audited (download_edit)';

-- a version is what was served: it never changes (TRUNCATE, for the tests'
-- clean-ups, fires no row trigger)
CREATE OR REPLACE TRIGGER download_versions_append_only BEFORE UPDATE OR DELETE ON download_versions
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();
