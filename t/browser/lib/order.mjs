// An order that went through 基本信息, 资料上传, 开票信息 and 订单提交,
// made through the API the order page uses (the same requests, with the
// applicant's session and CSRF header) when the browser has already been
// through those steps in another journey (05-apply): the journeys that
// start after the submission (the review's rejection and its correction)
// begin there. Also the certificates an account owns, made by SQL as
// sql/demo.sql makes the demo's, to try 延期 / 解锁 / 补办 on.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { call, scan } from './applicant.mjs';
import { sql } from './hall.mjs';
import { visit, waitText } from './user.mjs';

// order.html of an order, once the page has loaded it
export async function openOrder(j, id) {
  await visit(j, `/order.html?id=${id}`);
  await j.page.waitForSelector('#order-loading', { hidden: true });
  await waitText(j.page, '#order-title', '订单详情');
}

// the applicant's session through the API (POST /api/session), as login.js
export async function session(hall, phone, password) {
  const jar = new Map();
  await call(hall, jar, 'POST', '/api/session', { phone, password });
  return jar;
}

// one file as upload.js sends it (multipart, the part named `file`)
async function uploadFile(hall, jar, url, file, type) {
  const form = new FormData();
  form.append('file', new Blob([await readFile(file)], { type }), path.basename(file));
  return call(hall, jar, 'POST', url, form);
}

// a submitted 单位证书 新办 (express to a new default address), 待支付:
// { id, materials: { kind: file } } ; `o` = { project, info, invoice, address }
export async function submittedOrgOrder(hall, jar, dir, o) {
  const terms = await call(hall, jar, 'GET', '/api/agreements/user_terms');
  const order = await call(hall, jar, 'POST', '/api/orders',
                           { project: o.project, service: 'new', cert_type: 'org',
                             agree_terms: 1, terms_version: terms.version });
  const base = `/api/orders/${order.id}`;
  await call(hall, jar, 'PUT', `${base}/info`, o.info);
  const materials = {};
  for (const kind of ['application_form', 'responsibility_letter', 'legal_id_front',
                      'legal_id_back', 'business_license', 'eseal_form']) {
    materials[kind] = await scan(dir, `${kind}.jpg`, 'jpg', 'color', 1240, 1754);
    await uploadFile(hall, jar, `${base}/materials/${kind}`, materials[kind], 'image/jpeg');
  }
  await call(hall, jar, 'PUT', `${base}/invoice`, o.invoice);
  const address = await call(hall, jar, 'POST', '/api/addresses', { ...o.address, is_default: 1 });
  const agreement = await call(hall, jar, 'GET', '/api/agreements/agreement');
  await call(hall, jar, 'POST', `${base}/submit`,
             { agree: 1, agreement_version: agreement.version, delivery: 'express',
               address_id: address.id ?? address.address?.id });
  return { id: order.id, materials };
}

// certificates of an account, made by SQL: [{ serial, project, type,
// name, validFrom, validTo (SQL intervals from now), orderedHere }]; one
// ordered here gets a completed order of its own (what 补办 asks for)
export async function certificates(hall, phone, list) {
  const rows = list.map((c) => `('${c.serial}', '${c.project}', '${c.type}', '${c.name}',
      now() + interval '${c.validFrom}', now() + interval '${c.validTo}', ${c.orderedHere ? 'true' : 'false'})`);
  await sql(hall, `DO $$
DECLARE
    v_account bigint := (SELECT id FROM accounts WHERE phone = '${phone}');
    c record;
    v_order text;
    n int := 0;
BEGIN
    FOR c IN SELECT * FROM (VALUES ${rows.join(',\n')})
             AS t(serial, project, type, name, valid_from, valid_to, here) LOOP
        v_order := NULL;
        IF c.here THEN
            n := n + 1;
            v_order := 'UO' || to_char(c.valid_from, 'YYYYMMDD') || '0930' || lpad(right('${phone}', 4), 4, '0') || lpad(n::text, 2, '0');
            INSERT INTO orders (id, account_id, project_code, service, cert_type, created_at, updated_at, state_entered_at)
            VALUES (v_order, v_account, c.project, 'new', c.type, c.valid_from - interval '3 days',
                    c.valid_from - interval '3 days', c.valid_from - interval '3 days');
            INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, created_at)
            VALUES (v_order, NULL, 'draft', 'applicant', v_account, c.valid_from - interval '3 days'),
                   (v_order, 'draft', 'completed', 'applicant', v_account, c.valid_from);
            UPDATE orders SET agreed_at = c.valid_from - interval '3 days', delivery_method = 'pickup',
                              pickup_point = 'changsha' WHERE id = v_order;
            PERFORM set_config('certhall.transition_order', v_order, true);
            UPDATE orders SET state = 'completed', state_entered_at = c.valid_from,
                              submitted_at = c.valid_from - interval '3 days', amount_fen = 0
             WHERE id = v_order;
            PERFORM set_config('certhall.transition_order', '', true);
        END IF;
        INSERT INTO certificates (account_id, project_code, cert_type, serial, name, valid_from, valid_to, order_id)
        VALUES (v_account, c.project, c.type, c.serial, c.name, c.valid_from, c.valid_to, v_order);
    END LOOP;
END $$;`);
}
