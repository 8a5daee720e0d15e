-- Schema v1, part 10: the download centre (下载中心, issue 17).
--
--   download_categories  空白表格, 驱动程序, 使用手册: the page's groups
--   downloads            one file offered to everyone (or to one project's
--                        applicants), as staff describe it; retired, never
--                        deleted
--   download_versions    every file a download has had, append only: the
--                        current one is the highest version
--
-- The files are not here: like materials (0006) each is stored under its
-- SHA-256 in the module's certhall_storage, DIR/<sha256[0:2]>/<sha256>,
-- written and renamed into place by the back office (or certhall-admin
-- download-add) before the row that names it.  nginx serves them from
-- there (GET /api/downloads/{id}) once api.download_file() has named the
-- current version.
--
-- The functions are in sql/functions/57_downloads.sql.  (No BETWEEN beside
-- another AND in a CHECK: pg_restore writes that back with other
-- parentheses, and t/tools/upgrade.t compares the schemas.)

SET LOCAL timezone = 'Asia/Shanghai';

CREATE TABLE download_categories (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    sort_order  integer NOT NULL
);
COMMENT ON TABLE download_categories IS 'the groups of the download centre (下载中心), in sort_order';

INSERT INTO download_categories (code, name, sort_order) VALUES
    ('form',   '空白表格', 10),
    ('driver', '驱动程序', 20),
    ('manual', '使用手册', 30);

CREATE TABLE downloads (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category        text NOT NULL REFERENCES download_categories,
    -- NULL: for every project (通用)
    project_code    text REFERENCES projects,
    -- trimmed by the functions (staff_text), so the check is the length only
    title           text NOT NULL CHECK (char_length(title) >= 2 AND char_length(title) <= 100
                                         AND title !~ '[\u0001-\u001f\u007f-\u009f]'),
    description     text CHECK (char_length(description) BETWEEN 1 AND 500),
    sort_order      integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- the command line names an admin too (admin.download_add_as)
    created_by      bigint REFERENCES staff,
    retired_at      timestamptz,
    retired_by      bigint REFERENCES staff,
    retired_reason  text CHECK (char_length(retired_reason) BETWEEN 1 AND 200),
    CONSTRAINT downloads_retired_together CHECK ((retired_at IS NULL) = (retired_reason IS NULL)
                                                 AND (retired_at IS NOT NULL OR retired_by IS NULL))
);
COMMENT ON TABLE downloads IS 'the files of the download centre (下载中心): blank forms, drivers, manuals; retired, never deleted (their versions and the audit name them)';
COMMENT ON COLUMN downloads.category IS 'the group it is listed in (download_categories)';
COMMENT ON COLUMN downloads.project_code IS 'the project whose applicants need it; NULL: every project (通用)';
COMMENT ON COLUMN downloads.title IS 'what the page shows, 2 to 100 characters, trimmed';
COMMENT ON COLUMN downloads.description IS 'an optional line under the title, at most 500 characters';
COMMENT ON COLUMN downloads.sort_order IS 'the order within its category (general ones first, then by this, then by title)';
COMMENT ON COLUMN downloads.created_by IS 'the admin who added it (the one named by the command line too)';
COMMENT ON COLUMN downloads.retired_at IS 'NULL: offered; else when an admin withdrew it (gone from the page and from GET /api/downloads/{id})';
COMMENT ON COLUMN downloads.retired_by IS 'the admin who retired it';
COMMENT ON COLUMN downloads.retired_reason IS 'why, as the admin said';

-- the page: the offered ones by category
CREATE INDEX downloads_offered_idx ON downloads (category, sort_order) WHERE retired_at IS NULL;
CREATE INDEX downloads_project_idx ON downloads (project_code) WHERE project_code IS NOT NULL;

CREATE TABLE download_versions (
    download_id     bigint NOT NULL REFERENCES downloads,
    version         integer NOT NULL CHECK (version >= 1),
    -- the name the file is saved as (filename*=): cleaned by the back office
    -- (ch_filename_sanitize), so no path, no control character
    file_name       text NOT NULL CHECK (char_length(file_name) >= 1 AND char_length(file_name) <= 120
                                         AND file_name !~ '[\u0001-\u001f\u007f-\u009f/\\]'
                                         AND file_name !~ '^[. ]'),
    -- from the extension (lib/ch_download.c): one of the allowed types
    media_type      text NOT NULL CHECK (media_type ~ '^[a-z]+/[a-z0-9.+-]+$'),
    size_bytes      bigint NOT NULL CHECK (size_bytes > 0),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    note            text CHECK (char_length(note) BETWEEN 1 AND 200),
    uploaded_at     timestamptz NOT NULL DEFAULT now(),
    uploaded_by     bigint REFERENCES staff,
    PRIMARY KEY (download_id, version)
);
COMMENT ON TABLE download_versions IS 'every file a download has had, append only; the current one is the highest version';
COMMENT ON COLUMN download_versions.file_name IS 'the name the file is saved as (Content-Disposition filename*=), cleaned by ch_filename_sanitize; at most 120 characters';
COMMENT ON COLUMN download_versions.media_type IS 'the Content-Type it is served with: from its extension (lib/ch_download.c)';
COMMENT ON COLUMN download_versions.sha256 IS 'SHA-256 of the file, lower-case hex: the stored file is <certhall_storage>/<sha256[0:2]>/<sha256>';
COMMENT ON COLUMN download_versions.note IS 'what changed in this version (a replacement''s note), at most 200 characters';
COMMENT ON COLUMN download_versions.uploaded_by IS 'the admin who uploaded it';

INSERT INTO audit_actions (code, name) VALUES
    ('download_add',     '新增下载文件'),
    ('download_replace', '更新下载文件'),
    ('download_retire',  '下架下载文件'),
    ('download_edit',    '修改下载信息');
