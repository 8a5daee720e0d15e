// Journeys (g): what t/003 once read in the pages' sources, seen in the
// browser instead -- the home page, every page's header, the forms' autofill,
// 找回密码, the 账号中心 menu, 我的订单's columns, date filter and phone
// cards, the agreement printed; and what the pages send, observed as the
// hall receives it: forms with the CSRF token, uploads as multipart with
// it, a file refused before it is sent, 支付宝 by the channel the screen
// calls for with the signed fields posted to the gateway (the Alipay
// double), and pay-return.html's polling, to 支付成功 and to its 2-minute
// end (the page's clock made fast: lib/clock.mjs). Phones 137002701xx and
// orders UO20261207010000008x are this file's.
import { readdir, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_VERIFIED as DEMO, newAccount } from './lib/accounts.mjs';
import { ROOT, smsCode, smsSeen, sql } from './lib/hall.mjs';
import { PHONE as PHONE_SIZE, DESKTOP, WAIT } from './lib/browser.mjs';
import { fill, fillForm, click, waitText, textOf, visit, loginByPassword, submitAndGo, tableRows,
         assert, assertEqual } from './lib/user.mjs';
import { pendingOrder, colourScan } from './lib/pay.mjs';
import { textFile } from './lib/applicant.mjs';
import { recordRequests, csrfCookie, formOf, header } from './lib/requests.mjs';
import { FAST_CLOCK } from './lib/clock.mjs';
import { openOrder } from './lib/order.mjs';

const RESET_PHONE = '13700270101';
const FORM_TYPE = /^application\/x-www-form-urlencoded/;

const here = (page) => new URL(page.url()).pathname;

// the fields a person sees on the page, by their label's words: type,
// autocomplete and inputmode as the browser's autofill reads them
async function fieldsByLabel(page) {
  return page.$$eval('input, select, textarea', (list) => Object.fromEntries(list
    .filter((i) => i.type !== 'hidden' && i.offsetParent !== null && i.labels && i.labels.length)
    .map((i) => [i.labels[0].innerText.trim(),
                 { type: i.type, autocomplete: i.autocomplete, inputmode: i.inputMode }])));
}

function assertField(fields, label, want) {
  const f = fields[label];
  assert(f, `a field labelled ${label}: ${Object.keys(fields).join(', ')}`);
  for (const [k, v] of Object.entries(want)) assertEqual(f[k], v, `${label}'s ${k}`);
}

// the header's main navigation: { text: pathname }
async function mainNav(page) {
  return page.$$eval('header nav a', (as) => Object.fromEntries(
    as.map((a) => [a.textContent.trim(), new URL(a.href).pathname])));
}

export const journeys = [{
  name: 'site: a visitor',
  async run(j) {
    const page = j.page;

    await j.step('首页: the four services in the seeds\' words, the service status, 登录 and 注册', async () => {
      const res = await page.goto(j.url('/'), { waitUntil: 'domcontentloaded' });
      const csp = res.headers()['content-security-policy'] || '';
      assert(/default-src 'self'/.test(csp) && /object-src 'none'/.test(csp) && /frame-ancestors 'none'/.test(csp),
             `the page comes with a strict Content-Security-Policy: ${csp}`);
      assertEqual(res.headers()['x-content-type-options'], 'nosniff', 'X-Content-Type-Options');
      assertEqual(await page.title(), '在线服务厅 - 数字证书在线办理', 'the title');
      const services = await page.$$eval('main h2', (hs) => hs.map((h) => h.innerText.trim()));
      assertEqual(services.join(' '), '证书新办 证书延期 证书解锁 证书补办', 'the services offered');
      const main = await textOf(page, 'main');
      for (const said of ['企业或个人首次开通，办理数字证书', '数字证书即将过期或已过期3个月内，可申请续费',
                          '数字证书密码遗忘或尝试密码多次导致被锁，可申请解锁', '数字证书在有效期内遗失，可申请补办',
                          '办理数字证书须先完成实名认证']) {
        assert(main.includes(said), `the home page says ${said}`);
      }
      await waitText(page, '#service-status', '服务正常，可在线办理。');
      const nav = await mainNav(page);
      assertEqual(nav['登录'], '/login.html', '登录 in the header');
      assertEqual(nav['注册'], '/register.html', '注册 in the header');
    });

    await j.step('证书延期 on the home page: 在线办理 with 延期 chosen, and 登录 first', async () => {
      await submitAndGo(page, 'xpath///main//a[normalize-space()="证书延期"]');
      assertEqual(here(page), '/apply.html', 'the page');
      await page.waitForFunction(() => document.getElementById('svc-renew')?.checked);
      await waitText(page, '#apply-notice', '在线办理须先登录');
      await submitAndGo(page, 'xpath///*[@id="apply-notice"]//a[normalize-space()="登录"]');
      assertEqual(here(page), '/login.html', 'the page');
      const next = new URL(page.url()).searchParams.get('next') || '';
      assert(/^\/apply\.html\?service=renew/.test(next), `login.html?next= the service chosen: ${page.url()}`);
      for (const link of ['注册账号', '忘记密码？']) {
        const href = await page.$eval(`xpath///main//a[normalize-space()="${link}"]`, (a) => a.href);
        assertEqual(new URL(href).searchParams.get('next'), next, `${link} keeps where to go`);
      }
    });

    await j.step('the forms tell the browser what to fill: phone, one-time code, current or new password', async () => {
      const nav = await mainNav(page);
      assert(nav['在线办理'] === '/apply.html' && nav['下载中心'] === '/downloads.html', `login.html's header: ${JSON.stringify(nav)}`);
      let f = await fieldsByLabel(page);
      assertField(f, '手机号', { type: 'tel', autocomplete: 'tel' });
      assertField(f, '登录密码', { type: 'password', autocomplete: 'current-password' });
      await click(page, '#tab-sms');
      await page.waitForSelector('[role=tabpanel]:not([hidden]) input[autocomplete=one-time-code]', { visible: true });
      assertEqual(await page.$eval('[role=tab][aria-selected=true]', (t) => t.textContent.trim()), '短信验证码', 'the tab selected');
      f = await fieldsByLabel(page);
      assertField(f, '短信验证码', { autocomplete: 'one-time-code', inputmode: 'numeric' });
      await visit(j, '/register.html');
      await waitText(page, '#register-title', '注册账号');
      const regNav = await mainNav(page);
      assert(regNav['在线办理'] === '/apply.html' && regNav['下载中心'] === '/downloads.html', `register.html's header: ${JSON.stringify(regNav)}`);
      f = await fieldsByLabel(page);
      assertField(f, '手机号', { type: 'tel', autocomplete: 'tel' });
      assertField(f, '登录密码', { type: 'password', autocomplete: 'new-password' });
      assertField(f, '手机验证码', { autocomplete: 'one-time-code', inputmode: 'numeric' });
      await page.goBack({ waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => location.pathname === '/login.html');
    });

    await j.step('忘记密码？ right after registering: 获取验证码 too soon counts down the hall\'s Retry-After', async () => {
      await newAccount(j.hall, RESET_PHONE, 'Before2027pw');   // its registration sent a code just now
      await submitAndGo(page, 'xpath///main//a[normalize-space()="忘记密码？"]');
      await waitText(page, '#reset-title', '找回密码');
      const f = await fieldsByLabel(page);
      const news = Object.entries(f).filter(([, v]) => v.type === 'password');
      assertEqual(news.length, 2, 'password fields');
      for (const [label, v] of news) assertEqual(v.autocomplete, 'new-password', `${label}'s autocomplete`);
      await fill(page, '#rp-phone', RESET_PHONE);
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/sms-codes') && r.request().method() === 'POST'),
        click(page, '#rp-send-code')]);
      assertEqual(res.status(), 429, 'the hall\'s answer');
      const after = Number(res.headers()['retry-after']);
      assert(after > 0 && after <= 60, `Retry-After: ${res.headers()['retry-after']}`);
      const shown = Number((await waitText(page, '#rp-send-code', /^\d+ 秒后重新获取$/)).match(/^\d+/)[0]);
      // from Retry-After (below the 60 s it would count without one)
      assert(shown > 0 && shown <= after, `the button counts down from Retry-After ${after}: ${shown}`);
      assert(await page.$eval('#rp-send-code', (b) => b.disabled), 'the button waits');
      const said = await page.$$eval('#reset-form [role=alert], #reset-form .field-error',
        (l) => l.filter((e) => !e.hidden && e.textContent.trim()).map((e) => e.textContent.trim()).join(' '));
      assert(said.length > 0, 'the refusal is said');
      j.tap.diag(`  429: Retry-After ${after}, button ${shown} 秒, said: ${said}`);
    }, { expect: [{ status: 429, url: /\/api\/sms-codes$/ }] });

    await j.step('忘记密码？: 找回密码 with the SMS code and a new password typed twice', async () => {
      // the resend interval (60 s a phone) passes by moving the clock, not
      // by waiting; the page starts again (its button still counts down)
      await sql(j.hall, `UPDATE sms_requests SET created_at = created_at - interval '2 minutes' WHERE phone = '${RESET_PHONE}'`);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitText(page, '#reset-title', '找回密码');
      const seen = await smsSeen(j.hall);
      await fill(page, '#rp-phone', RESET_PHONE);
      await click(page, '#rp-send-code');
      await waitText(page, '#rp-code-status', '验证码已发送至');
      const { code } = await smsCode(j.hall, RESET_PHONE, { after: seen });
      await fillForm(page, { '#rp-code': code, '#rp-password': 'After2027pw', '#rp-password2': 'After2027px' });
      await click(page, '#reset-form button[type=submit]');
      await waitText(page, '#rp-password2-error', /一致/);
      await fill(page, '#rp-password2', 'After2027pw');
      await submitAndGo(page, '#reset-form button[type=submit]');
      await page.waitForFunction(() => location.pathname === '/apply.html');
    });

    await j.step('after 找回密码 the visitor is logged in where they were going: 证书延期 chosen, 实名认证 asked first', async () => {
      assertEqual(new URL(page.url()).searchParams.get('service'), 'renew', 'the service asked for');
      await page.waitForFunction(() => document.getElementById('svc-renew')?.checked);
      await waitText(page, '#account-nav', /欢迎您，/);
      await waitText(page, '#apply-notice', '办理数字证书须先完成实名认证');
    });

    await j.step('退出, then 登录 with the new password', async () => {
      await submitAndGo(page, '#nav-logout');
      assertEqual(here(page), '/login.html', 'after 退出 the page');
      await fillForm(page, { '#lp-phone': RESET_PHONE, '#lp-password': 'After2027pw' });
      await submitAndGo(page, '#login-password-form button[type=submit]');
      assertEqual(here(page), '/account.html', 'after 登录 the page');
      await waitText(page, '#me-phone', /137\*{4}0101/);
    });
  },
}, {
  name: 'site: the account\'s pages',
  async run(j) {
    const page = j.page;

    await j.step('账号中心: its menu leads to the account\'s six pages, the current one marked', async () => {
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await page.waitForSelector('#account-menu a');
      const menu = await page.$$eval('#account-menu a', (as) => as.map((a) => ({
        text: a.innerText.replace(/\s+/g, ' ').trim(), path: new URL(a.href).pathname, current: a.getAttribute('aria-current') })));
      const names = menu.map((m) => m.text.split(/\s*\d/)[0]);   // the count after the name
      assertEqual(names.join(' '), '个人中心 我的申请 我的订单 我的地址 我的消息 我的发票抬头', 'the menu');
      assertEqual(menu.map((m) => m.path).join(' '),
                  '/account.html /applications.html /orders.html /addresses.html /messages.html /invoice-titles.html', 'where it leads');
      assertEqual(menu.filter((m) => m.current).map((m) => m.path).join(), '/account.html', 'the page marked current');
      await submitAndGo(page, '#account-menu a[href="/messages.html"]');
      await page.waitForSelector('#account-menu a[aria-current]');
      assertEqual(await page.$eval('#account-menu a[aria-current]', (a) => new URL(a.href).pathname), '/messages.html', 'marked now');
    });

    await j.step('every page\'s header leads to 在线办理 and 下载中心', async () => {
      const pages = (await readdir(path.join(ROOT, 'www'))).filter((f) => /^[a-z0-9-]+\.html$/.test(f)).sort();
      const lacking = [], moved = [];
      for (const f of pages) {
        // the page and where its script takes it (order.html without an
        // order says so; a page may send on): the header of where it rests
        await page.goto(j.url(`/${f}`), { waitUntil: 'load' });
        const nav = await mainNav(page).catch(async () => {
          await page.waitForNavigation({ waitUntil: 'load', timeout: WAIT }).catch(() => {});
          return mainNav(page);   // the page it was sent on to
        });
        const at = here(page).slice(1);
        if (at !== f) moved.push(`${f}→${at}`);
        assertEqual(nav['在线办理'], '/apply.html', `${at}: 在线办理`);
        assertEqual(nav['下载中心'], '/downloads.html', `${at}: 下载中心`);
        if (!nav['账号中心']) lacking.push(at);
      }
      j.tap.diag(`  ${pages.length} pages checked; sent on: ${moved.join(' ') || 'none'}; without 账号中心 in the header: ${lacking.join(' ') || 'none'}`);
    }, { expect: [{ status: 404, url: /\/api\/orders\/$/ }, { status: 400, url: /\/api\/orders\/?$/ }] });

    let newest;
    await j.step('我的订单: the seeds\' columns, and the filters by 申请项目, 业务类型, 订单状态', async () => {
      await visit(j, '/orders.html');
      await page.waitForSelector('#orders-loading', { hidden: true });
      const heads = await page.$$eval('#orders-wrap thead th', (ths) => ths.map((t) => t.textContent.trim()));
      assertEqual(heads.join(' '), '订单号 证书名/证件号码 业务信息 提交日期 订单状态 发票状态 操作', 'the columns');
      const options = async (label) => page.$$eval(`xpath///label[normalize-space()="${label}"]`, (ls) => {
        const s = document.getElementById(ls[0].htmlFor);
        return [...s.options].map((o) => o.textContent.trim());
      });
      assert((await options('申请项目')).length >= 2, '申请项目 lists projects');
      const services = await options('业务类型');
      for (const s of ['证书新办', '证书延期', '证书解锁', '证书补办']) assert(services.includes(s), `业务类型 offers ${s}: ${services}`);
      const states = await options('订单状态');
      for (const s of ['待支付', '资料待审核', '待收货', '已完成', '已取消']) assert(states.includes(s), `订单状态 offers ${s}: ${states}`);
      const dates = (await tableRows(page, '#orders-body')).map((r) => r[3]).filter((d) => /年/.test(d));
      assert(dates.length >= 3, `提交日期 shown as 年月日: ${dates}`);
      newest = dates.map((d) => d.match(/\d{4}年\d{1,2}月\d{1,2}日/)[0])
        .sort((a, b) => key(b) - key(a))[0];
    });

    await j.step('提交时间 entered as 年/月/日: only orders from that day on, the address in the API\'s form', async () => {
      await fill(page, '#f-from', newest);
      await submitAndGo(page, '#filter-form button[type=submit]');
      await page.waitForSelector('#orders-loading', { hidden: true });
      const ymd = newest.replace(/(\d+)年(\d+)月(\d+)日/, (_, y, m, d) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`);
      assertEqual(new URL(page.url()).searchParams.get('from'), ymd, 'the address');
      assertEqual(await page.$eval('#f-from', (e) => e.value), newest, 'the box keeps the date as typed');
      const rows = await tableRows(page, '#orders-body');
      assert(rows.length >= 1, 'orders found');
      for (const r of rows) assert(key(r[3].match(/\d{4}年\d{1,2}月\d{1,2}日/)[0]) >= key(newest), `from ${newest} on: ${r.join(' ')}`);
    });

    await j.step('a date that is no date is said beside the field and nothing is searched', async () => {
      const before = page.url();
      await fill(page, '#f-from', '2026年13月1日');
      await click(page, '#filter-form button[type=submit]');
      const said = await waitText(page, '#f-date-error', /./);
      assert(said.length > 0, 'the error says why');
      assertEqual(page.url(), before, 'the page stays');
      await fill(page, '#f-from', '');
    });

    await j.step('我的订单 on a phone: each order a card, each value after its column\'s name, nothing off to the right', async () => {
      await visit(j, '/orders.html');
      await page.setViewport({ width: PHONE_SIZE.width, height: PHONE_SIZE.height });
      try {
        await page.waitForSelector('#orders-loading', { hidden: true });
        await page.waitForFunction(() => getComputedStyle(document.querySelector('#orders-body td')).display === 'block');
        const look = await page.evaluate(() => {
          const heads = [...document.querySelectorAll('#orders-wrap thead th')].map((t) => t.textContent.trim());
          const row = document.querySelector('#orders-body tr');
          const labels = [...row.querySelectorAll('td')].map((td) => getComputedStyle(td, '::before').content.replace(/^"|"$/g, ''));
          const wrap = document.getElementById('orders-wrap');
          return { heads, labels, page: document.documentElement.scrollWidth, view: window.innerWidth,
                   wrap: wrap.scrollWidth - wrap.clientWidth, theadShown: document.querySelector('#orders-wrap thead').getBoundingClientRect().height > 1 };
        });
        assertEqual(look.labels.join(' '), look.heads.join(' '), 'each value is preceded by its column\'s name');
        assert(!look.theadShown, 'the header row is not shown');
        assert(look.page <= look.view, `the page fits the phone: ${look.page} > ${look.view}`);
        assert(look.wrap <= 0, `the list does not scroll sideways: ${look.wrap} px`);
      } finally {
        await page.setViewport(DESKTOP);
      }
    });

    await j.step('a completed order: 办理记录 names the shipment 快递：…; 订单总价 and 订单实付', async () => {
      await openOrder(j, 'UO202611150930000003');
      const timeline = await waitText(page, '#timeline', '快递：');
      assert(!/原因：[^\n]*(顺丰|快递)/.test(timeline), `a shipment is not a 原因: ${timeline}`);
      const pay = await textOf(page, '#pay-amount');
      assert(/订单总价\s*¥\d/.test(pay) && /订单实付\s*¥\d/.test(pay), `订单总价 and 订单实付: ${pay}`);
    });

    await j.step('查看示例 beside a material opens its example large over the page', async () => {
      await visit(j, '/order-edit.html?id=UO202612060930000004&step=2');
      await waitText(page, '#materials-title', '资料上传');
      const link = await page.waitForSelector('#materials a.sample-link', { visible: true });
      const name = await link.evaluate((a) => a.getAttribute('aria-label'));
      assert(/：查看示例$/.test(name), `the link says whose example it is: ${name}`);
      await link.click();
      await page.waitForSelector('dialog[open]', { visible: true });
      await page.waitForFunction(() => {
        const i = document.querySelector('dialog[open] img');
        return i && i.complete && i.naturalWidth > 0 && /\/samples\/.+\.svg$/.test(i.src);
      });
      const title = await textOf(page, 'dialog[open] h2');
      assert(/示例/.test(title), `the dialog names the example: ${title}`);
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog[open]', { hidden: true });
    });

    await j.step('《用户申请条款》 to read and 打印: the page prints the text, not its buttons', async () => {
      await visit(j, '/agreement.html?code=user_terms');
      await waitText(page, '#agreement-title', '用户申请条款');
      const paras = await page.$$eval('#agreement-body p', (ps) => ps.filter((p) => p.textContent.trim()).length);
      assert(paras >= 3, `the terms' text: ${paras} paragraphs`);
      await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
      await click(page, '#agreement-print');
      assertEqual(await page.evaluate(() => window.__printed), 1, 'print asked for');
      await page.emulateMediaType('print');
      try {
        assert(!(await page.$eval('#agreement-print', (b) => b.offsetParent !== null)), '打印 is not printed');
        assert(await page.$eval('#agreement-body', (b) => b.offsetParent !== null), 'the text is printed');
      } finally {
        await page.emulateMediaType(null);
      }
    });
  },
}, {
  name: 'site: what the pages send',
  async run(j) {
    const page = j.page;
    const ID = 'UO202612070100000081';
    let token;

    await j.step('公对公转账 chosen: a form post carrying the session\'s CSRF token', async () => {
      await pendingOrder(j.hall, ID);
      await loginByPassword(j, DEMO.phone, DEMO.password);
      token = await csrfCookie(page);
      assert(token, 'the session set the certhall_csrf cookie');
      await openOrder(j, ID);
      const rec = recordRequests(page, (r) => r.url().includes(`/api/orders/${ID}/pay`));
      await click(page, 'label[for=pay-transfer]');
      await click(page, '#pay-form button[type=submit]');
      await waitText(page, '#transfer-facts', '收款方');
      rec.stop();
      assertEqual(rec.seen.length, 1, 'requests to …/pay');
      const req = rec.seen[0];
      assertEqual(req.method(), 'POST', 'the method');
      assert(FORM_TYPE.test(header(req, 'content-type')), `a form: ${header(req, 'content-type')}`);
      assertEqual(formOf(req).method, 'transfer', 'the method chosen');
      assertEqual(header(req, 'x-csrf-token'), token, 'X-CSRF-Token, the cookie\'s value');
    });

    await j.step('a text file named .jpg is refused before anything is sent', async () => {
      const dir = path.join(j.dir, 'files');
      await mkdir(dir, { recursive: true });
      const bad = await textFile(dir, 'notes.jpg', '这不是图片。\n');
      const rec = recordRequests(page, (r) => r.url().includes(`/api/orders/${ID}/voucher`));
      await (await page.waitForSelector('#voucher input[type=file]')).uploadFile(bad);
      const said = await waitText(page, '#voucher [role=alert]', /notes\.jpg/);
      rec.stop();
      assert(/格式/.test(said), `the refusal says why: ${said}`);
      assertEqual(rec.seen.length, 0, 'requests sent for the refused file');
    });

    await j.step('the voucher goes as multipart/form-data with the CSRF token; the hall takes it', async () => {
      const scan = await colourScan(path.join(j.dir, 'files'));
      const rec = recordRequests(page, (r) => r.url().includes(`/api/orders/${ID}/voucher`));
      await (await page.waitForSelector('#voucher input[type=file]')).uploadFile(scan);
      await waitText(page, '#flash', '转账凭证已上传');
      rec.stop();
      const req = rec.seen.find((r) => r.method() === 'POST');
      assert(req, `a POST of the file: ${rec.seen.map((r) => r.method()).join(' ')}`);
      assert(/^multipart\/form-data; boundary=/.test(header(req, 'content-type')), `multipart: ${header(req, 'content-type')}`);
      assertEqual(header(req, 'x-csrf-token'), token, 'X-CSRF-Token, the cookie\'s value');
      // the part's name: Chromium does not hand a file's body to the
      // observer, but the hall takes an upload only from a part named
      // "file" (ngx_http_certhall_upload_body.c), and it took this one
      const body = req.postData();
      if (body) assert(/name="file"; filename="voucher\.jpg"/.test(body), 'the file in the part named file');
      await waitText(page, '#order-facts', '待审核');
    });
  },
}, {
  name: 'site: Alipay by the screen, and the return page',
  async run(j) {
    const page = j.page;
    const ID = 'UO202612070100000082';
    const GONE = 'UO202612070100000083';
    const double = `http://127.0.0.1:${j.hall.port + 3}`;
    const doubleFavicon = [{ status: 404, url: new RegExp(`:${j.hall.port + 3}/favicon\\.ico$`) }];

    // 支付宝 chosen on the order: what the page asks the hall, and what the
    // browser then posts to the gateway
    async function payAlipay(channel) {
      await openOrder(j, ID);
      const rec = recordRequests(page, (r) => r.url().includes(`/api/orders/${ID}/pay`) || r.url().startsWith(double + '/gateway.do'));
      await click(page, 'label[for=pay-alipay]');
      await submitAndGo(page, '#pay-form button[type=submit]');
      await waitText(page, 'body', '确认付款');
      rec.stop();
      const ask = rec.seen.find((r) => r.url().includes('/pay'));
      assertEqual(formOf(ask).channel, channel, 'the channel asked of the hall');
      assertEqual(formOf(ask).method, 'alipay', 'the method');
      assertEqual(header(ask, 'x-csrf-token'), await csrfCookie(page), 'X-CSRF-Token');
      const gw = rec.seen.find((r) => r.url().startsWith(double));
      assert(gw && gw.method() === 'POST' && gw.isNavigationRequest(), 'the browser posts the form to the gateway');
      const f = formOf(gw);
      const biz = JSON.parse(f.biz_content || '{}');
      assert(f.sign && f.sign_type === 'RSA2', `the fields come signed: ${Object.keys(f).join(' ')}`);
      return { f, biz };
    }

    await j.step('支付宝 on a computer: channel page, alipay.trade.page.pay, the double takes the signature', async () => {
      await pendingOrder(j.hall, ID);
      await loginByPassword(j, DEMO.phone, DEMO.password);
      const { f, biz } = await payAlipay('page');
      assertEqual(f.method, 'alipay.trade.page.pay', 'the gateway\'s method');
      assertEqual(biz.product_code, 'FAST_INSTANT_TRADE_PAY', 'the product');
      assert(biz.out_trade_no.startsWith(`${ID}_`), `the trade is the order's: ${biz.out_trade_no}`);
      await waitText(page, 'body', '350.00');
    }, { expect: doubleFavicon });

    await j.step('back on the order: 支付记录 lists the try, 电脑, 待付款', async () => {
      await openOrder(j, ID);
      const list = await waitText(page, '#alipay-attempts', '支付记录（共 1 次）');
      assert(list.includes('电脑') && list.includes('待付款'), `the try: ${list}`);
    });

    let trade;
    await j.step('支付宝 on a phone: channel wap, alipay.trade.wap.pay', async () => {
      await page.setViewport({ width: PHONE_SIZE.width, height: PHONE_SIZE.height });
      try {
        const { f, biz } = await payAlipay('wap');
        assertEqual(f.method, 'alipay.trade.wap.pay', 'the gateway\'s method');
        assertEqual(biz.product_code, 'QUICK_WAP_WAY', 'the product');
        trade = biz.out_trade_no;
      } finally {
        await page.setViewport(DESKTOP);
      }
    }, { expect: doubleFavicon });

    await j.step('支付记录 (共 2 次): 手机 and 电脑', async () => {
      await openOrder(j, ID);
      const list = await waitText(page, '#alipay-attempts', '支付记录（共 2 次）');
      assert(list.includes('手机') && list.includes('电脑'), `both tries: ${list}`);
    });

    await j.step('pay-return.html waits while the order does, and says 支付成功，等待审核 once it is paid, without a reload', async () => {
      await visit(j, `/pay-return.html?out_trade_no=${encodeURIComponent(trade)}`);
      await waitText(page, '#result-status', '正在确认支付结果');
      await waitText(page, '#result-facts', '待支付');
      assert(await page.$eval('#result-paid', (e) => e.hidden), '支付成功 is not said before the order is paid');
      let loads = 0;
      const count = (fr) => { if (fr === page.mainFrame()) loads++; };
      page.on('framenavigated', count);
      try {
        // the buyer pays on the phone; Alipay's notification reaches the hall
        const r = await fetch(`${double}/control/notify`, { method: 'POST', body: new URLSearchParams({ out_trade_no: trade, trade_status: 'TRADE_SUCCESS' }) });
        assertEqual(r.status, 200, 'the double paid and notified');
        await waitText(page, '#result-paid', '支付成功，等待审核');
        await waitText(page, '#result-facts', '待审核');
      } finally {
        page.off('framenavigated', count);
      }
      assertEqual(loads, 0, 'page loads meanwhile');
    });

    await j.step('pay-return.html, whatever its query says, asks every 2 s for 2 minutes, then stops and offers 刷新 (the page\'s clock made fast)', async () => {
      await pendingOrder(j.hall, GONE);
      const clock = await page.evaluateOnNewDocument(FAST_CLOCK);
      const rec = recordRequests(page, (r) => r.method() === 'GET' && new URL(r.url()).pathname === `/api/orders/${GONE}`);
      try {
        // the query Alipay adds is no proof of payment: a forged one changes nothing
        await visit(j, `/pay-return.html?out_trade_no=${GONE}_1&trade_no=2026120722001400000000000001`
                       + '&trade_status=TRADE_SUCCESS&total_amount=350.00&sign_type=RSA2&sign=forged');
        await page.waitForSelector('#result-timeout', { visible: true });
        const c = await page.evaluate(() => ({ elapsed: window.__clock.elapsed(), pending: window.__clock.pending(),
                                               delays: window.__clock.delays }));
        const polls = rec.seen.length;
        j.tap.diag(`  ${polls} polls over ${(c.elapsed / 1000).toFixed(1)} s of the page's time`);
        // at once, then at 2 s, 4 s … 120 s: the next would be past the 2 minutes
        assertEqual(polls, 61, 'polls: one at once and one every 2 s for 2 minutes');
        assertEqual(c.elapsed, 120000, 'ms of the page\'s time when it gave up');
        assertEqual(c.delays.filter((d) => d === 2000).length, 60, 'polls scheduled 2 s apart');
        assertEqual(c.pending, 0, 'timers left (it stopped asking)');
        assert(await page.$eval('#result-paid', (e) => e.hidden), '支付成功 is not said (the query said TRADE_SUCCESS)');
        const note = await textOf(page, '#result-timeout');
        assert(/暂未收到支付宝的付款结果/.test(note) && /刷新/.test(note), `the note: ${note}`);
        await click(page, '#result-refresh');
        await page.waitForSelector('#result-timeout', { visible: true });
        const again = rec.seen.length - polls;
        assertEqual(again, 61, 'polls after 刷新 (2 more minutes)');
      } finally {
        rec.stop();
        await page.removeScriptToEvaluateOnNewDocument(clock.identifier);
      }
    });

    await j.step('改用支付宝支付 while the voucher is awaited: off to the gateway with the signed fields', async () => {
      const SWITCH = 'UO202612070100000084';
      await pendingOrder(j.hall, SWITCH);
      await openOrder(j, SWITCH);
      await click(page, 'label[for=pay-transfer]');
      await click(page, '#pay-form button[type=submit]');
      await waitText(page, '#order-facts', '待上传凭证');
      await page.waitForSelector('#alipay-switch', { visible: true });
      const rec = recordRequests(page, (r) => r.url().includes(`/api/orders/${SWITCH}/pay`) || r.url().startsWith(double + '/gateway.do'));
      await submitAndGo(page, '#act-alipay');
      await waitText(page, 'body', '确认付款');
      rec.stop();
      const ask = rec.seen.find((r) => r.url().includes('/pay'));
      assertEqual(formOf(ask).method, 'alipay', 'the method asked of the hall');
      assertEqual(formOf(ask).channel, 'page', 'the channel');
      const gw = rec.seen.find((r) => r.url().startsWith(double));
      assert(gw && gw.method() === 'POST', 'the browser posts the form to the gateway');
      assertEqual(JSON.parse(formOf(gw).biz_content).out_trade_no.split('_')[0], SWITCH, 'the trade is the order\'s');
    }, { expect: doubleFavicon });

    await j.step('取消订单 asks first: 取消 keeps the order, 确定 cancels it', async () => {
      const DROP = 'UO202612070100000085';
      await pendingOrder(j.hall, DROP);
      await openOrder(j, DROP);
      const rec = recordRequests(page, (r) => r.url().endsWith(`/api/orders/${DROP}/cancel`));
      let asked = '';
      const answered = new Promise((resolve) => page.once('dialog', (d) => { asked = d.message(); d.dismiss().then(resolve); }));
      await click(page, '#act-cancel');
      await answered;
      assert(asked.includes(DROP) && /取消后不能恢复/.test(asked), `the question: ${asked}`);
      assertEqual(rec.seen.length, 0, 'requests after 取消');
      page.once('dialog', (d) => d.accept());
      await click(page, '#act-cancel');
      await waitText(page, '#flash', '订单已取消。');
      await waitText(page, '#order-facts', '已取消');
      await page.waitForSelector('#act-cancel', { hidden: true });
      rec.stop();
      assertEqual(rec.seen.map((r) => r.method()).join(), 'POST', 'requests after 确定');
    });
  },
}];

// 2026年12月7日 → 20261207
function key(d) {
  const [, y, m, day] = d.match(/(\d{4})年(\d{1,2})月(\d{1,2})日/);
  return Number(y) * 10000 + Number(m) * 100 + Number(day);
}
