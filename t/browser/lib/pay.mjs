// What the payment and fulfilment journeys need beside the website: an
// order of their own in 待支付 (made as sql/demo.sql makes the demo's, so
// the demo orders the other journeys read stay as they are), the back
// office used as staff in a browser context of its own, a colour scan to
// upload as the voucher (build/bin/mkscan) and what a download saved.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, readdir, mkdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ROOT, sql, hallEnv } from './hall.mjs';
import { WAIT } from './browser.mjs';
import { fillForm, submitAndGo } from './user.mjs';

const run = promisify(execFile);

// an order of the demo applicant in 待支付 (长沙 新办 单位, pickup), made
// older than the demo's own so 我的订单's newest is still the demo's;
// `id` is UO + 18 digits, one a journey; `express` sends it by courier to
// the demo applicant's address instead (what a shipper ships); `org` gives
// it 基本信息 with that 申请单位
const PICKUP = "delivery_method = 'pickup', pickup_point = 'changsha'";
const EXPRESS = "delivery_method = 'express', delivery_recipient = '张三', delivery_mobile = '13800138000', "
  + "delivery_region = '湖南省长沙市岳麓区', delivery_detail = '麓谷大道627号', delivery_postal_code = '410205'";

// `org`: its 基本信息 says this 申请单位 (what finance checks a voucher's
// payer against); none otherwise, as the demo's
function orgInfo(org) {
  return org ? `INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name, person_id_masked,
                                        person_id_digest, person_id_sealed, mobile, email)
    VALUES (v_id, '${org.replace(/'/g, "''")}', '91350100M000100Y43', '李四', '张三', '4301**********1234',
            repeat('a', 64), 'v1.' || repeat('A', 43), '13800138000', 'zhangsan@example.com');` : '';
}

export async function pendingOrder(hall, id, phone = '13800138000', { express = false, org = null } = {}) {
  if (!/^UO\d{18}$/.test(id)) throw new Error(`not an order number: ${id}`);
  await sql(hall, `DO $$
DECLARE
    v_account bigint := (SELECT id FROM accounts WHERE phone = '${phone}');
    v_id text := '${id}';
BEGIN
    INSERT INTO orders (id, account_id, project_code, service, cert_type, created_at, updated_at, state_entered_at)
    VALUES (v_id, v_account, 'changsha_ggzy', 'new', 'org',
            now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours');
    INSERT INTO order_events (order_id, from_state, to_state, actor_kind, actor_id, created_at)
    VALUES (v_id, NULL, 'draft', 'applicant', v_account, now() - interval '3 hours'),
           (v_id, 'draft', 'pending_payment', 'applicant', v_account, now() - interval '170 minutes');
    ${orgInfo(org)}
    UPDATE orders SET agreed_at = now() - interval '170 minutes', ${express ? EXPRESS : PICKUP}
     WHERE id = v_id;
    -- the submission's guard asks for materials this order has none of:
    -- passed as demo.sql passes it, by way of pending_voucher
    PERFORM set_config('certhall.transition_order', v_id, true);
    UPDATE orders SET state = 'pending_voucher' WHERE id = v_id;
    UPDATE orders
       SET state = 'pending_payment', state_entered_at = now() - interval '170 minutes',
           submitted_at = now() - interval '170 minutes',
           amount_fen = (SELECT price_fen FROM project_services
                         WHERE (project_code, service, cert_type) = ('changsha_ggzy', 'new', 'org'))
     WHERE id = v_id;
    PERFORM set_config('certhall.transition_order', '', true);
END $$;`);
  return id;
}

// a colour A4 scan as a phone or scanner makes it (JPEG), to upload
export async function colourScan(dir, name = 'voucher.jpg') {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  const { stdout } = await run(path.join(ROOT, 'build', 'bin', 'mkscan'), ['jpg', 'color', '1240', '1754'],
                               { encoding: 'buffer', maxBuffer: 1 << 24, timeout: 30000 });
  await writeFile(file, stdout);
  return file;
}

// a member of staff in the back office, in a browser context of their own
// (the applicant's session stays as it is); `act(page)` does the work
export async function asStaff(journey, login, act, password = 'demo-staff-2026') {
  const context = await journey.browser.createBrowserContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.setDefaultNavigationTimeout(WAIT);
    await page.goto(journey.url('/admin/login'), { waitUntil: 'domcontentloaded' });
    await fillForm(page, { 'form.login input[name=login]': login, 'form.login input[name=password]': password });
    await submitAndGo(page, 'form.login button[type=submit]');
    if (/\/admin\/login/.test(page.url())) throw new Error(`the back office refused ${login}`);
    return await act(page);
  } finally {
    await context.close().catch(() => {});
  }
}

// press a download link or button on the page and wait (bounded) for the
// file Chromium saves: { name, saved, bytes, sha256, response: { status,
// type, disposition } }, the response's headers read again from the page
// (same cookies) at the address Chromium downloaded from: a download
// raises no response event
export async function download(journey, click) {
  const page = journey.page;
  const dir = path.join(journey.dir, 'downloads');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const cdp = await page.createCDPSession();
  try {
    await cdp.send('Browser.setDownloadBehavior',
                   { behavior: 'allow', downloadPath: dir, eventsEnabled: true,
                     browserContextId: journey.context.id });
    let name = null, url = null;
    const done = new Promise((resolve, reject) => {
      cdp.on('Browser.downloadWillBegin', (e) => { name = e.suggestedFilename; url = e.url; });
      cdp.on('Browser.downloadProgress', (e) => {
        if (e.state === 'completed') resolve();
        if (e.state === 'canceled') reject(new Error('the download was cancelled'));
      });
    });
    await click();
    let timer;
    await Promise.race([done, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no download completed within ${WAIT} ms`)), WAIT);
    })]).finally(() => clearTimeout(timer));
    const files = await readdir(dir);
    if (files.length !== 1) throw new Error(`downloaded: ${files.join(', ') || 'nothing'}`);
    const bytes = await readFile(path.join(dir, files[0]));
    const response = await page.evaluate(async (u) => {
      const r = await fetch(u, { credentials: 'same-origin' });
      await r.arrayBuffer();
      return { status: r.status, type: r.headers.get('content-type') || '',
               disposition: r.headers.get('content-disposition') || '' };
    }, url);
    return {
      name, url, saved: files[0], bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'), response,
    };
  } finally {
    await cdp.detach().catch(() => {});
  }
}

// the e-invoice queue sent to the tax platform's double, as make run says
// to: certhall-admin invoice-send as nobody (nginx's workers' user, who
// owns the storage the PDF goes to), never as root
export async function invoiceSend(hall) {
  await run('runuser', ['-u', 'nobody', '--', hall.admin, 'invoice-send', '-c', path.join(hall.var, 'admin.conf'), '--once'],
            { cwd: ROOT, env: hallEnv(hall), timeout: 60000 });
}
