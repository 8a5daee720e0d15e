-- The catalog's change notices: each nginx worker keeps the public answers
-- that change only when staff change them (GET /api/projects,
-- /api/pickup-points, /api/downloads, /api/agreements/{code}) and drops
-- one when told, on its LISTEN certhall_catalog connection
-- (ngx_module/ngx_http_certhall_db_listen.c).  The payload names the
-- answer: projects, pickup_points, downloads, agreements; any other
-- payload ("all") drops every one.
--
-- NOTIFY is transactional: a worker hears of a change when it commits,
-- never of one rolled back, and the notices of one transaction with the
-- same payload arrive once.  Statement-level triggers: one notice per
-- statement however many rows it touched, and TRUNCATE too.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

CREATE OR REPLACE FUNCTION catalog_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    v_answer text;
BEGIN
    FOREACH v_answer IN ARRAY TG_ARGV LOOP
        PERFORM pg_notify('certhall_catalog', v_answer);
    END LOOP;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION catalog_changed() IS
    'statement trigger: NOTIFY certhall_catalog with each answer named in the trigger''s arguments, so the workers drop their copy';

-- Which answers read which table (from the functions that render them):
--   api.projects()      projects, project_services, services, cert_types,
--                       project_service_materials, material_kinds
--   api.pickup_points() pickup_points
--   api.downloads()     downloads, download_versions, download_categories,
--                       projects (a project's name; whether a code is one)
--   api.agreement()     agreements, agreement_versions
CREATE OR REPLACE TRIGGER projects_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('projects', 'downloads');
CREATE OR REPLACE TRIGGER project_services_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_services
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('projects');
CREATE OR REPLACE TRIGGER services_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('projects');
CREATE OR REPLACE TRIGGER cert_types_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cert_types
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('projects');
CREATE OR REPLACE TRIGGER project_service_materials_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_service_materials
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('projects');
CREATE OR REPLACE TRIGGER material_kinds_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON material_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('projects');
CREATE OR REPLACE TRIGGER pickup_points_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pickup_points
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('pickup_points');
CREATE OR REPLACE TRIGGER downloads_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON downloads
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('downloads');
CREATE OR REPLACE TRIGGER download_versions_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON download_versions
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('downloads');
CREATE OR REPLACE TRIGGER download_categories_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON download_categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('downloads');
CREATE OR REPLACE TRIGGER agreements_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agreements
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('agreements');
CREATE OR REPLACE TRIGGER agreement_versions_catalog_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agreement_versions
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed('agreements');

-- This run of sql/migrate may have changed how the answers are rendered
-- (the functions above, not a row): every worker drops every answer when
-- the run commits.
DO $$
BEGIN
    PERFORM pg_notify('certhall_catalog', 'all');
END
$$;
