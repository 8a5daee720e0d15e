// Journeys (g, continued): what a suite once matched in the pages' sources, seen in the
// browser instead -- 下载中心 for a visitor (no account menu), its 申请项目
// filter narrowing the list and its empty state; 我的申请 empty for a new
// account, with where to go; 我的订单's hint leading to 我的申请;
// 修改开票信息 of an order past its submission whose invoice is not issued
// (the invoice step alone, saved, the order showing the new title); and
// 我的订单's 已开票 leading to the order's 电子发票 card. Phones 137002717xx
// and orders UO20261207170000000x are this file's.
import { DEMO_VERIFIED as DEMO, newAccount } from './lib/accounts.mjs';
import { sql } from './lib/hall.mjs';
import { click, fill, waitText, textOf, visit, loginByPassword, submitAndGo, assert, assertEqual } from './lib/user.mjs';
import { pendingOrder, invoiceSend } from './lib/pay.mjs';
import { openOrder } from './lib/order.mjs';

const NEW_PHONE = '13700271701';
const TITLE_ORDER = 'UO202612071700000001';   // 待开票, its invoice not asked for yet
const SHIPPED_ORDER = 'UO202612071700000002';  // 待收货
const XIANGTAN_FORM = '湘潭市公共资源交易系统数字证书业务授权书';   // scripts/demo-downloads: 湘潭's own
const GENERAL_FORM = '数字证书申请责任书';                             // ... and one for every project
const RETIRED = 'journey 17-pages: the empty 下载中心';

const here = (page) => new URL(page.url()).pathname + new URL(page.url()).search;

// an order of the demo applicant moved by SQL from 待支付 to `state`, as
// sql/demo.sql moves its own (the transition named in certhall.transition_order)
async function orderIn(hall, id, state) {
  await pendingOrder(hall, id, DEMO.phone, { express: true, org: '湖南示例科技有限公司' });
  await sql(hall, `BEGIN;
    SELECT set_config('certhall.transition_order', '${id}', true);
    UPDATE orders SET state = '${state}', state_entered_at = now() WHERE id = '${id}';
    COMMIT;`);
}

// the titles 下载中心 lists, once it has loaded
async function listed(page) {
  await page.waitForSelector('#dl-loading', { hidden: true });
  return page.$$eval('#dl-groups td.dl-title strong', (s) => s.map((e) => e.textContent.trim()));
}

// 申请项目 chosen and 筛选 pressed, as a person does
async function filterBy(page, project) {
  await page.waitForSelector(`#dl-project option[value="${project}"]`);
  await page.select('#dl-project', project);
  await submitAndGo(page, '#dl-filter button[type=submit]');
}

export const journeys = [{
  name: 'pages: a visitor',
  async run(j) {
    const page = j.page;

    await j.step('下载中心 without logging in: the files, 登录 in the header, no account menu', async () => {
      await visit(j, '/downloads.html');
      await waitText(page, '#downloads-title', '下载中心');
      const all = await listed(page);
      for (const t of [XIANGTAN_FORM, GENERAL_FORM, 'USB-Key 驱动程序']) assert(all.includes(t), `listed: ${t} in ${all}`);
      assertEqual(await page.$('#account-menu'), null, 'the account menu');
      const nav = await page.$$eval('header nav a', (as) => as.map((a) => a.textContent.trim()));
      assert(nav.includes('登录') && !nav.includes('退出'), `a visitor's header: ${nav}`);
      assertEqual(await page.$eval('#dl-project', (s) => s.value), '', '申请项目 at first');
      assertEqual(await page.$eval('#dl-project option', (o) => o.textContent), '全部项目', 'the first choice');
    });

    await j.step('申请项目 长沙: 湘潭\'s own form gone, the general ones kept, the choice said', async () => {
      await filterBy(page, 'changsha_ggzy');
      assertEqual(here(page), '/downloads.html?project=changsha_ggzy', 'the address keeps the choice');
      const files = await listed(page);
      assert(!files.includes(XIANGTAN_FORM), `湘潭's form not listed: ${files}`);
      assert(files.includes(GENERAL_FORM), `the general form listed: ${files}`);
      const note = await waitText(page, '#dl-filter-note', '专用的文件和各项目通用的文件');
      assert(note.includes('长沙'), `the note names the project: ${note}`);
      assertEqual(await page.$eval('#dl-project', (s) => s.value), 'changsha_ggzy', '申请项目 after the reload');
    });

    await j.step('申请项目 湘潭: its own form listed, 适用项目 naming it', async () => {
      await filterBy(page, 'xiangtan_ggzy');
      const files = await listed(page);
      assert(files.includes(XIANGTAN_FORM) && files.includes(GENERAL_FORM), `湘潭's and the general ones: ${files}`);
      const row = await page.waitForSelector(`xpath///tr[contains(., "${XIANGTAN_FORM}")]`);
      const project = await row.$eval('td[data-label="适用项目"]', (c) => c.textContent.trim());
      assert(project.includes('湘潭'), `适用项目: ${project}`);
      const general = await page.waitForSelector(`xpath///tr[contains(., "${GENERAL_FORM}")]`);
      assertEqual(await general.$eval('td[data-label="适用项目"]', (c) => c.textContent.trim()), '通用', 'a general file\'s 适用项目');
    });

    await j.step('下载中心 with nothing offered: 暂无可下载的文件。 (and for a project, said so)', async () => {
      await sql(j.hall, `UPDATE downloads SET retired_at = now(), retired_reason = '${RETIRED}' WHERE retired_at IS NULL`);
      try {
        await page.reload({ waitUntil: 'domcontentloaded' });
        await waitText(page, '#dl-empty', '该项目暂无可下载的文件。');
        assertEqual((await listed(page)).length, 0, 'the files listed');
        await visit(j, '/downloads.html');
        await waitText(page, '#dl-empty', '暂无可下载的文件。');
        assertEqual(await textOf(page, '#dl-empty'), '暂无可下载的文件。', 'the empty list');
        assertEqual((await listed(page)).length, 0, 'the files listed');
      } finally {
        await sql(j.hall, `UPDATE downloads SET retired_at = NULL, retired_reason = NULL, retired_by = NULL
                            WHERE retired_reason = '${RETIRED}'`);
      }
    });
  },
}, {
  name: 'pages: a new account',
  async run(j) {
    const page = j.page;

    await j.step('我的申请 of a new account: 没有待填写或待修改的申请。 and 在线办理', async () => {
      await newAccount(j.hall, NEW_PHONE, 'pages-2026');
      await loginByPassword(j, NEW_PHONE, 'pages-2026');
      await visit(j, '/applications.html');
      await waitText(page, '#apps-title', '我的申请');
      await page.waitForSelector('#apps-loading', { hidden: true });
      await waitText(page, '#apps-empty', '没有待填写或待修改的申请。');
      assertEqual(await page.$$eval('#apps-list > li', (l) => l.length), 0, 'the applications listed');
      assert(await page.$eval('#apps-pager', (p) => p.hidden), 'no pages to turn');
      await submitAndGo(page, 'xpath///div[@id="apps-empty"]//a[normalize-space()="在线办理"]');
      assertEqual(here(page), '/apply.html', 'where 在线办理 leads');
    });

    await j.step('我的订单 says the drafts are in 我的申请, and its link leads there', async () => {
      await visit(j, '/orders.html');
      const hint = await waitText(page, '#orders-apps-hint', '尚未提交的申请');
      assert(hint.includes('审核未通过'), `the hint: ${hint}`);
      const states = await page.$$eval('#f-state option', (o) => o.map((x) => x.value));
      assert(!states.includes('draft'), `no 填写中 among the states to filter by: ${states}`);
      await submitAndGo(page, '#orders-apps-hint a');
      assertEqual(here(page), '/applications.html', 'where 我的申请 leads');
      await waitText(page, '#apps-empty', '没有待填写或待修改的申请。');
    });
  },
}, {
  name: 'pages: the invoice',
  async run(j) {
    const page = j.page;

    await j.step('待开票, the invoice not yet asked for: 修改开票信息 on the order', async () => {
      // its 开票信息 as submitted, then received (待开票): no request yet, as
      // right after 确认收货 before the request is written
      await orderIn(j.hall, TITLE_ORDER, 'pending_invoice');
      await sql(j.hall, `INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)
        VALUES ('${TITLE_ORDER}', 'org', '湖南示例科技有限公司', '91350100M000100Y43', 'zhangsan@example.com', '13800138000')`);
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await openOrder(j, TITLE_ORDER);
      await waitText(page, '#order-facts', '待开票');
      await waitText(page, '#invoice-facts', '湖南示例科技有限公司');
      await waitText(page, '#einvoice-facts', '未开票');
      await page.waitForSelector('#act-invoice-edit', { visible: true });
      assertEqual(await textOf(page, '#act-invoice-edit'), '修改开票信息', 'the link');
    });

    await j.step('修改开票信息: the invoice step alone, under its heading, 返回订单', async () => {
      await submitAndGo(page, '#act-invoice-edit');
      assertEqual(new URL(page.url()).pathname, '/order-edit.html', 'the page');
      await waitText(page, '#edit-title', '修改开票信息');
      await page.waitForSelector('#step-3', { visible: true });
      const shown = await page.$$eval('#edit section[id^="step-"], #edit .steps',
        (l) => l.filter((s) => !s.hidden && s.offsetParent !== null).map((s) => s.id || s.className));
      assertEqual(shown.join(' '), 'step-3', 'what the page shows');
      await waitText(page, '#invoice-lead', '电子发票尚未开出');
      assertEqual(await textOf(page, '#invoice-back'), '返回订单', 'the way back');
      assertEqual(await page.$eval('#iv-title', (i) => i.value), '湖南示例科技有限公司', 'the title as it is');
      assertEqual(await textOf(page, '#invoice-form button[type=submit]'), '保存开票信息', 'the button');
    });

    await j.step('保存开票信息 with a new title: back on the order, the new title shown', async () => {
      await fill(page, '#iv-title', '湖南示例科技有限公司长沙分公司');
      await submitAndGo(page, '#invoice-form button[type=submit]');
      assertEqual(here(page), `/order.html?id=${TITLE_ORDER}`, 'back on the order');
      await page.waitForSelector('#order-loading', { hidden: true });
      await waitText(page, '#invoice-facts', '湖南示例科技有限公司长沙分公司');
      await page.waitForSelector('#act-invoice-edit', { visible: true });
    });

    await j.step('我的订单\'s 已开票 leads to the order\'s 电子发票 card', async () => {
      await invoiceSend(j.hall);
      await visit(j, '/orders.html');
      await page.waitForSelector('#orders-loading', { hidden: true });
      const link = await page.waitForSelector('xpath///table//a[normalize-space()="已开票"]');
      const label = await link.evaluate((a) => a.getAttribute('aria-label'));
      const id = (label.match(/UO\d{18}/) || [])[0];
      assert(id, `the link names its order: ${label}`);
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), link.click()]);
      assertEqual(new URL(page.url()).hash, '#einvoice-card', 'to the card');
      await page.waitForSelector('#order-loading', { hidden: true });
      await waitText(page, '#order-title', '订单详情');
      await waitText(page, '#order-facts', id);
      const facts = await waitText(page, '#einvoice-facts', '已开票');
      for (const want of ['发票代码', '发票号码', '开票日期', '发送至']) assert(facts.includes(want), `电子发票 shows ${want}: ${facts}`);
      await page.waitForSelector('#einvoice-download a', { visible: true });
      await page.waitForFunction(() => document.activeElement?.id === 'einvoice-title');
    });

    await j.step('确认收货 described by its note, asked first; 取消 leaves the order 待收货', async () => {
      await orderIn(j.hall, SHIPPED_ORDER, 'shipped');
      await openOrder(j, SHIPPED_ORDER);
      await waitText(page, '#order-facts', '待收货');
      await page.waitForSelector('#act-receipt', { visible: true });
      const note = await waitText(page, '#receipt-note', '电子发票会自动开出');
      const described = await page.$eval('#act-receipt', (b) => b.getAttribute('aria-describedby')
        .split(/\s+/).map((id) => document.getElementById(id)?.innerText.trim()).join(' '));
      assertEqual(described, note, '确认收货 described by its note');
      await click(page, '#act-receipt');
      await page.waitForSelector('#receipt-dialog[open]', { visible: true });
      await waitText(page, '#receipt-dialog-title', '确认收货');
      await waitText(page, '#receipt-dialog-text', '请确认已收到证书并核对无误。');
      await click(page, '#receipt-cancel');
      await page.waitForSelector('#receipt-dialog', { hidden: true });
      await page.waitForSelector('#act-receipt', { visible: true });
      assert((await textOf(page, '#order-facts')).includes('待收货'), 'still 待收货');
      assertEqual(await sql(j.hall, `SELECT state FROM orders WHERE id = '${SHIPPED_ORDER}'`), 'shipped', 'the order in the hall');
    });
  },
}];
