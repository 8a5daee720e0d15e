-- The catalog: projects, their offers and materials (GET /api/projects), the
-- application form and the pickup points.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- GET /api/projects: the catalog.  The material kinds are described once,
-- at the top (name, note, hint, formats, size, colour rule, sample_url: its
-- example for 查看示例, or null); each offer
-- names the kinds it asks for and whether each is required, so the answer
-- stays small however many projects there are.  One query: each level is
-- aggregated once with GROUP BY and joined to the level above, no function
-- call or subquery per row; json (not jsonb) keeps the keys in the order
-- written here.  Active projects with their enabled offers only; an active
-- project with no enabled offer is listed with no services.
CREATE OR REPLACE FUNCTION api.projects()
RETURNS json
LANGUAGE sql
STABLE
SET search_path = public, pg_temp
AS $$
    WITH kinds AS (
        SELECT json_agg(json_build_object(
                   'kind',           mk.code,
                   'name',           mk.name,
                   'note',           mk.note,
                   'hint',           mk.hint,
                   'formats',        mk.formats,
                   'max_bytes',      mk.max_bytes,
                   'color_required', mk.color_required,
                   'sample_url',     mk.sample_path)
                 ORDER BY mk.sort_order) AS list
        FROM material_kinds mk
    ), materials AS (
        SELECT psm.project_code, psm.service, psm.cert_type,
               json_agg(json_build_object(
                   'kind',     mk.code,
                   'required', psm.required)
                 ORDER BY mk.sort_order) AS list
        FROM project_service_materials psm
        JOIN material_kinds mk ON mk.code = psm.material_kind
        GROUP BY psm.project_code, psm.service, psm.cert_type
    ), offers AS (
        SELECT ps.project_code,
               json_agg(json_build_object(
                   'service',         ps.service,
                   'service_name',    sv.name,
                   'cert_type',       ps.cert_type,
                   'cert_type_name',  ct.name,
                   'price_fen',       ps.price_fen,
                   'validity_months', ps.validity_months,
                   'materials',       coalesce(m.list, '[]'::json))
                 ORDER BY sv.sort_order, ct.sort_order) AS list
        FROM project_services ps
        JOIN services sv ON sv.code = ps.service
        JOIN cert_types ct ON ct.code = ps.cert_type
        LEFT JOIN materials m USING (project_code, service, cert_type)
        WHERE ps.enabled
        GROUP BY ps.project_code
    ), catalog AS (
        SELECT coalesce(json_agg(json_build_object(
                   'code',                p.code,
                   'name',                p.name,
                   'description',         p.description,
                   'renewal_window_days', p.renewal_window_days,
                   'services',            coalesce(o.list, '[]'::json))
                 ORDER BY p.sort_order, p.code), '[]'::json) AS list
        FROM projects p
        LEFT JOIN offers o ON o.project_code = p.code
        WHERE p.active
    )
    SELECT json_build_object('material_kinds', coalesce(kinds.list, '[]'::json),
                             'projects', catalog.list)
    FROM kinds, catalog
$$;

COMMENT ON FUNCTION api.projects() IS 'GET /api/projects: the material kinds, and the active projects with their enabled services, prices and materials';

-- GET /api/orders/{id}/application-form: what the printed 申请表 says, as
-- columns the module renders (it opens the sealed ID number itself)
CREATE OR REPLACE FUNCTION api.application_form(p_token text, p_order_id text,
    OUT order_id text, OUT project_name text, OUT service text, OUT service_name text,
    OUT cert_type text, OUT cert_type_name text, OUT certificate_serial text,
    OUT org_name text, OUT uscc text, OUT handler_name text, OUT person_name text,
    OUT person_id_sealed text, OUT mobile text, OUT email text, OUT created_on text)
RETURNS record
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s sessions := session_check(p_token, NULL, false);
    o orders := applicant_order(s.account_id, p_order_id, false);
BEGIN
    SELECT o.id, p.name, o.service, sv.name, o.cert_type, ct.name, c.serial,
           i.org_name, i.uscc, i.handler_name, i.person_name, i.person_id_sealed,
           i.mobile, i.email, to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY年MM月DD日')
      INTO order_id, project_name, service, service_name, cert_type, cert_type_name,
           certificate_serial, org_name, uscc, handler_name, person_name,
           person_id_sealed, mobile, email, created_on
    FROM projects p, services sv, cert_types ct, order_info i
    LEFT JOIN certificates c ON c.id = o.certificate_id
    WHERE p.code = o.project_code AND sv.code = o.service AND ct.code = o.cert_type
      AND i.order_id = o.id;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH409', 'info_missing', '请先填写基本信息，再打印申请表');
    END IF;
END
$$;

COMMENT ON FUNCTION api.application_form(text, text) IS
    'GET /api/orders/{id}/application-form: the values of the printed application form (409 before the information exists)';

-- GET /api/pickup-points
CREATE OR REPLACE FUNCTION api.pickup_points()
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT json_build_object('pickup_points', coalesce(json_agg(json_build_object(
               'code', code, 'name', name, 'address', address, 'phone', phone,
               'hours', hours) ORDER BY sort_order, code), '[]'::json))
    FROM pickup_points WHERE active
$$;
