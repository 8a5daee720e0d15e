// The back office as staff use it (admin/: certhall-admin behind fcgiwrap):
// logging in on /admin/login as one of the demo members make run prints
// (admin, reviewer, finance, shipper; password demo-staff-2026), going to a
// page and reading what it says, and the orders the staff's queues need,
// made as an applicant makes them: an order in 待支付 (lib/pay.mjs), then
// 公对公转账 and the voucher uploaded through the API, which puts it in
// 待审核 with a file for the reviewer to open.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WAIT } from './browser.mjs';
import { fillForm, submitAndGo, waitText, textOf, assert } from './user.mjs';
import { call } from './applicant.mjs';
import { pendingOrder, colourScan } from './pay.mjs';
import { DEMO_VERIFIED } from './accounts.mjs';

const run = promisify(execFile);

export const STAFF_PASSWORD = 'demo-staff-2026';

// the name each demo login is shown with (sql/demo.sql)
export const STAFF = {
  admin: '系统管理员', reviewer: '审核员小李', finance: '财务小王', shipper: '发货员小张',
};

// the links of the back office's navigation a role is given
export async function navLinks(page) {
  return page.$$eval('header nav a', (as) => as.map((a) => a.textContent.trim()));
}

// the menu offers every page of `has` and none of `not`
export async function assertMenu(page, who, has, not = []) {
  const links = await navLinks(page);
  for (const want of has) assert(links.includes(want), `${who}'s menu has ${want}: ${links}`);
  for (const no of not) assert(!links.includes(no), `${who}'s menu has no ${no}: ${links}`);
}

// go to a back-office page on the journey's own page; the HTTP status
export async function staffGo(j, path) {
  const res = await j.page.goto(j.url(path), { waitUntil: 'domcontentloaded' });
  return res ? res.status() : 0;
}

// log in on /admin/login as a person does; ends on the page it leads to
// (the queue), which names the member in the header
export async function staffLogin(j, login, password = STAFF_PASSWORD) {
  const page = j.page;
  await staffGo(j, '/admin/login');
  await fillForm(page, { 'form.login input[name=login]': login, 'form.login input[name=password]': password });
  await submitAndGo(page, 'form.login button[type=submit]');
  if (STAFF[login]) await waitText(page, '#staff', `${STAFF[login]}（${login}）`);
}

// 退出 in the header: back on the login page
export async function staffLogout(j) {
  await submitAndGo(j.page, 'header form[action="/admin/logout"] button[type=submit]');
  await j.page.waitForSelector('form.login');
}

// the refusal a page gives (html_error_page): its text
export async function refusal(page) {
  return textOf(page, '#error');
}

// the order's facts as the order page lists them: { label: value }
export async function orderFacts(page) {
  return page.$$eval('dl.fields dt', (dts) => Object.fromEntries(dts.map((dt) => {
    const dd = dt.nextElementSibling;
    return [dt.textContent.trim(), dd ? dd.textContent.trim() : ''];
  })));
}

// how a list table sits in the window: { right, width } (its right edge and
// the window's: a column beyond is cut off) and `lines`, the line boxes of
// each cell matching `cells` ({ text, lines }: a time on one line, a
// name not one character a line)
export async function tableLook(page, table, cells) {
  return page.evaluate((t, c) => {
    const lines = (td) => {
      const r = document.createRange();
      r.selectNodeContents(td);
      return new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top))).size;
    };
    const box = document.querySelector(t).getBoundingClientRect();
    return { right: Math.round(box.right), width: document.documentElement.clientWidth,
             lines: [...document.querySelectorAll(c)].map((td) => ({ text: td.innerText.trim(), lines: lines(td) })) };
  }, table, cells);
}

// a flash the back office shows after an action (#done)
export async function done(page, text) {
  return waitText(page, '#done', text);
}

// an order of the demo applicant in 待审核, paid by 公对公转账 with a
// voucher (a colour scan) uploaded through the API as order.html does it;
// express: to be sent by courier (else 受理点自取); org: 基本信息's 申请单位,
// the payer finance must find on the voucher
export async function voucherOrder(hall, id, dir, { express = false, org = null } = {}) {
  await pendingOrder(hall, id, DEMO_VERIFIED.phone, { express, org });
  const jar = new Map();
  await call(hall, jar, 'POST', '/api/session', { phone: DEMO_VERIFIED.phone, password: DEMO_VERIFIED.password });
  await call(hall, jar, 'POST', `/api/orders/${id}/pay`, { method: 'transfer' });
  const file = await colourScan(dir, `${id}.jpg`);
  const form = new FormData();
  form.append('file', new Blob([await readFile(file)], { type: 'image/jpeg' }), 'voucher.jpg');
  await call(hall, jar, 'POST', `/api/orders/${id}/voucher`, form);
  const order = await call(hall, jar, 'GET', `/api/orders/${id}`);
  assert(order.state === 'pending_review', `${id} is ${order.state}, not pending_review`);
  return id;
}

// today in Beijing as yyyy-mm-dd, and as the back office writes it
export function beijingToday() {
  const iso = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  const [y, m, d] = iso.split('-');
  return { iso, text: `${y}年${m}月${d}日`, typed: `${y}年${+m}月${+d}日`, slashed: `${y}/${+m}/${+d}` };
}


// the tax platform double's mode (t/bin/tax-platform: ok, refuse, http500,
// ...), set as a person testing would, through its /_control page
export async function taxMode(hall, mode) {
  await run('curl', ['-sS', '--fail', '--max-time', '20', '--cacert', path.join(hall.var, 'einvoice-ca', 'ca.crt'),
                     '-d', `mode=${mode}`, `https://127.0.0.1:${hall.port + 5}/_control`], { timeout: 30000 });
}
