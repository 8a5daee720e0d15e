-- What a submission and a resubmission (重新提交) need: order_missing(),
-- order_resubmit_missing(), the digests a rejection keeps, and
-- POST /api/orders/{id}/resubmit.
--
-- Live definitions, applied by sql/migrate on every run (sql/README.md).

-- What a submission needs --------------------------------------------------

-- The items an order lacks for its submission, as [{"item","message"}]:
-- what the applicant fills in before the submission step (information,
-- invoice) and, between them (the order of the steps on screen), each
-- required material with no current file, as
-- {"item":"material","kind","message"} in the kinds' order.  Optional
-- materials are never missing.  The agreement and the delivery are given
-- with the submission itself.
CREATE OR REPLACE FUNCTION order_missing(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
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
        ) AS m);
END
$$;

COMMENT ON FUNCTION order_missing(orders) IS
    'what an order lacks before it can be submitted: [{"item","message"}] for info and invoice, [{"item":"material","kind","message"}] for each required file not uploaded';

-- What the information and the invoice said at the rejection ---------------

-- A digest of what the applicant filled in, without the times of the
-- writes (saving the same values again is no change).  The ID number is
-- compared by its keyed digest: the sealed text differs at every seal.
CREATE OR REPLACE FUNCTION order_info_digest(p_order_id text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce((SELECT md5(row(i.org_name, i.uscc, i.handler_name, i.person_name,
                                    i.person_id_digest, i.mobile, i.email)::text)
                     FROM order_info i WHERE i.order_id = p_order_id), 'none')
$$;

COMMENT ON FUNCTION order_info_digest(text) IS
    'md5 of the order''s 基本信息 values (the ID number by its digest), ''none'' without any: what changed since a rejection';

CREATE OR REPLACE FUNCTION order_invoice_digest(p_order_id text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce((SELECT md5(row(v.title_type, v.title, v.taxpayer_id, v.email, v.mobile,
                                    v.remark)::text)
                     FROM order_invoice v WHERE v.order_id = p_order_id), 'none')
$$;

COMMENT ON FUNCTION order_invoice_digest(text) IS
    'md5 of the order''s 开票信息 values, ''none'' without any: what changed since a rejection';

-- The latest rejection of an order -----------------------------------------

-- The newest rejection event of the order with the materials it named
-- (none for a rejection without an order_rejections row), or no row.
CREATE OR REPLACE FUNCTION order_last_rejection(p_order_id text,
    OUT event_id bigint, OUT at timestamptz, OUT reason text, OUT staff_id bigint,
    OUT kinds text[], OUT info_digest text, OUT invoice_digest text, OUT files bigint[])
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT e.id, e.created_at, e.reason, e.actor_id, coalesce(r.kinds, '{}'),
           r.info_digest, r.invoice_digest, r.files
    FROM order_events e
    LEFT JOIN order_rejections r ON r.event_id = e.id
    WHERE e.order_id = p_order_id AND e.to_state = 'rejected'
    ORDER BY e.id DESC
    LIMIT 1
$$;

COMMENT ON FUNCTION order_last_rejection(text) IS
    'the newest rejection of the order: event, time, reason, reviewer, the kinds named, the digests and the current files at the time; no row if never rejected';

-- Whether a current file was uploaded after the rejection: it was not
-- among the files current then (before 0010: it is newer than the
-- rejection).
CREATE OR REPLACE FUNCTION material_after(p_file materials, p_at timestamptz, p_files bigint[])
RETURNS boolean
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_file.id IS NULL THEN false
            WHEN p_files IS NULL THEN p_file.uploaded_at > p_at
            ELSE NOT (p_file.id = ANY (p_files)) END;

COMMENT ON FUNCTION material_after(materials, timestamptz, bigint[]) IS
    'a file (current) uploaded after the rejection of p_at that kept the list p_files of the files current then';

-- The materials the latest rejection named, each with whether a file was
-- uploaded for it since.
CREATE OR REPLACE FUNCTION order_rejection_kinds(p_order_id text)
RETURNS TABLE (kind text, kind_name text, sort_order integer, replaced boolean,
               uploaded_at timestamptz)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT mk.code, mk.name, mk.sort_order, material_after(m, r.at, r.files),
           CASE WHEN material_after(m, r.at, r.files) THEN m.uploaded_at END
    FROM order_last_rejection(p_order_id) r
    JOIN material_kinds mk ON mk.code = ANY (r.kinds)
    LEFT JOIN materials m ON m.order_id = p_order_id AND m.kind = mk.code
                         AND m.replaced_at IS NULL
    ORDER BY mk.sort_order
$$;

COMMENT ON FUNCTION order_rejection_kinds(text) IS
    'the materials the latest rejection asked to upload again, in order, with replaced = a file of the kind uploaded after the rejection is current';

-- What a resubmission still needs -------------------------------------------

-- As order_missing() (information, required materials, invoice: the first
-- submission's rules, which a correction may have broken by removing a
-- file), and for each material the latest rejection named that has no
-- file uploaded since, {"item":"material","kind","message":"请重新上传…"}
-- (a required one with no file at all is already "请上传…").  In the
-- order of the steps and the kinds.
CREATE OR REPLACE FUNCTION order_resubmit_missing(p_order orders)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        WITH first AS (
            SELECT e AS item,
                   CASE e->>'item' WHEN 'info' THEN 1 WHEN 'material' THEN 2 ELSE 3 END AS step,
                   coalesce(mk.sort_order, 0) AS sort_order
            FROM json_array_elements(order_missing(p_order)) e
            LEFT JOIN material_kinds mk ON mk.code = e->>'kind'
        )
        SELECT coalesce(json_agg(m.item ORDER BY m.step, m.sort_order), '[]'::json)
        FROM (
            SELECT item, step, sort_order FROM first
            UNION ALL
            SELECT json_build_object('item', 'material', 'kind', k.kind,
                                     'message', '请重新上传' || k.kind_name),
                   2, k.sort_order
            FROM order_rejection_kinds(p_order.id) k
            WHERE NOT k.replaced
              AND NOT EXISTS (SELECT FROM first f WHERE f.item->>'kind' = k.kind)
        ) AS m);
END
$$;

COMMENT ON FUNCTION order_resubmit_missing(orders) IS
    'what a rejected order lacks before it may go back to review: order_missing() and each material the latest rejection named not uploaded since; [{"item","kind","message"}]';

-- The latest rejection as the website shows it: when, why, and the
-- materials named with whether each was uploaded again.
CREATE OR REPLACE FUNCTION order_rejection_json(p_order_id text)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT json_build_object(
            'at', r.at,
            'reason', r.reason,
            'kinds', coalesce((SELECT json_agg(json_build_object(
                                       'kind', k.kind, 'kind_name', k.kind_name,
                                       'replaced', k.replaced, 'uploaded_at', k.uploaded_at)
                                     ORDER BY k.sort_order)
                               FROM order_rejection_kinds(p_order_id) k), '[]'::json))
        FROM order_last_rejection(p_order_id) r);
END
$$;

COMMENT ON FUNCTION order_rejection_json(text) IS
    'the latest rejection: {"at","reason","kinds":[{"kind","kind_name","replaced","uploaded_at"}]}, NULL if never rejected';

-- The API -------------------------------------------------------------------

-- POST /api/orders/{id}/resubmit: the applicant's own order (404 for
-- anyone else's), rejected (409 otherwise), with nothing missing (422
-- incomplete with the list, as the submission answers, before anything is
-- written): rejected -> pending_review through the state machine, with
-- its event and message.  Nothing is paid again: the order keeps its
-- amount, transfer and voucher.
CREATE OR REPLACE FUNCTION api.order_resubmit(p_token text, p_csrf text, p_order_id text)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         sessions := session_check(p_token, p_csrf, true);
    o         orders := applicant_order(s.account_id, p_order_id, true);
    v_missing json;
BEGIN
    IF o.state <> 'rejected' THEN
        PERFORM raise_api_error('CH409', 'illegal_transition',
                                format('订单当前状态为“%s”，不能重新提交',
                                       (SELECT name FROM order_states WHERE code = o.state)));
    END IF;

    v_missing := order_resubmit_missing(o);
    IF json_array_length(v_missing) > 0 THEN
        RETURN ROW(422,
                   json_build_object('error', json_build_object(
                       'code', 'incomplete',
                       'message', '订单尚不能重新提交：' || (SELECT string_agg(e->>'message', '；')
                                                             FROM json_array_elements(v_missing) e),
                       'missing', v_missing)),
                   NULL, NULL, NULL)::api.answer;
    END IF;

    o := order_transition(o.id, 'pending_review', 'applicant', s.account_id);

    -- a statement of its own: the JSON must see the event just written
    RETURN ROW(200, order_json(o), NULL, NULL, NULL)::api.answer;
END
$$;

COMMENT ON FUNCTION api.order_resubmit(text, text, text) IS
    'POST /api/orders/{id}/resubmit: rejected -> pending_review once order_resubmit_missing() is empty (422 incomplete with the list); CH401/403/404, CH409 illegal_transition';

-- how many times the order came back to review by a resubmission
CREATE OR REPLACE FUNCTION order_resubmissions(p_order_id text)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT count(*) FROM order_events e
    WHERE e.order_id = p_order_id AND e.from_state = 'rejected' AND e.to_state = 'pending_review'
$$;

COMMENT ON FUNCTION order_resubmissions(text) IS 'how many times the order was resubmitted (rejected -> pending_review)';
