// Journeys (f): the back office (/admin/, certhall-admin behind fcgiwrap)
// as each role uses it on orders: the reviewer (logging in, a wrong
// password, the 待审核 queue and what the role is refused, the queue's
// 提交日期 typed as 年/月/日, an order's transfer voucher opened, 审核不通过
// with a reason), finance (到账确认 of a voucher, a wrong amount refused,
// 退回转账凭证, the invoice queue, 支付宝退款), then the reviewer's 审核通过
// and the shipper (the issued certificate with its validity typed as
// 年/月/日, 快递寄出 with a courier and tracking number).  The orders are the
// demo applicant's, paid by transfer through the API (lib/staff.mjs);
// numbers UO2026120701200000NN are this file's.
import { fill, fillForm, click, waitText, textOf, submitAndGo, assert, assertEqual, tableRows } from './lib/user.mjs';
import {
  staffLogin, staffLogout, staffGo, assertMenu, refusal, orderFacts, done, voucherOrder, taxMode, tableLook, STAFF, STAFF_PASSWORD,
} from './lib/staff.mjs';
import { invoiceSend } from './lib/pay.mjs';
import { sql } from './lib/hall.mjs';

const TO_APPROVE = 'UO202612070120000011';     // express: confirmed, approved, shipped
const TO_REJECT = 'UO202612070120000012';      // 审核不通过 by the reviewer
const TO_REFUSE = 'UO202612070120000013';      // voucher 退回 by finance
const TO_BULK = 'UO202612070120000014';        // confirmed, then 批量审核通过
const NOT_CONFIRMED = 'UO202612070120000015';  // in the same bulk, refused
const REJECT_REASON = '营业执照扫描件不清晰，请重新上传清晰的彩色扫描件';
const REFUSE_REASON = '转账凭证上的付款单位与申请单位不一致';
const PAYER = '湖南示例科技有限公司';
const SERIAL = '5A1B2C3D4E5F60718293';
const TRACKING = 'SF1234509876';
const INVOICED = 'UO202411201030150001';       // the demo's completed order, invoice 00000001
const NEW_TITLE = '湖南示例科技有限公司长沙分公司';

// the cells of the queue's row of an order, as the person reads them
async function queueRow(page, id) {
  return page.$eval(`#orders tr[data-order="${id}"]`, (tr) => [...tr.cells].map((c) => (c.innerText || '').trim()));
}

// what an order's page says its state is
async function stateOf(page) {
  return textOf(page, '#state');
}

async function openOrder(j, id) {
  assertEqual(await staffGo(j, `/admin/orders/${id}`), 200, `GET /admin/orders/${id}`);
  await waitText(j.page, '#order-id', id);
}

// the 年/月/日 of a 2026年12月07日 14:30 cell, typed as a person would
function typedDay(cell) {
  const m = /^(\d{4})年(\d\d)月(\d\d)日/.exec(cell);
  assert(m, `a date as 年/月/日: ${cell}`);
  return { text: m[0], typed: `${m[1]}年${+m[2]}月${+m[3]}日`, slashed: `${m[1]}/${+m[2]}/${+m[3]}` };
}

export const journeys = [{
  name: 'reviewer',
  async run(j) {
    const page = j.page;

    await j.step('员工登录 with a wrong password: 用户名或密码错误, still on the login form', async () => {
      for (const id of [TO_APPROVE, TO_REJECT, TO_REFUSE, TO_BULK, NOT_CONFIRMED]) {
        await voucherOrder(j.hall, id, `${j.dir}/files`, { express: id === TO_APPROVE, org: PAYER });
      }
      await staffGo(j, '/admin/login');
      await waitText(page, 'main h2', '员工登录');
      await fillForm(page, { 'form.login input[name=login]': 'reviewer', 'form.login input[name=password]': 'not-the-password' });
      await submitAndGo(page, 'form.login button[type=submit]');
      await waitText(page, '#error', '用户名或密码错误');
      assert(await page.$('form.login input[name=password]'), 'the login form is shown again');
      assert(!(await page.$('header nav')), 'no navigation before logging in');
    }, { expect: [{ status: 401, url: /\/admin\/login$/ }] });

    await j.step('登录 as 审核员: the 待审核 queue lists the paid orders; no finance or admin pages offered', async () => {
      await staffLogin(j, 'reviewer');
      await waitText(page, 'main h2', '订单');
      await waitText(page, '#states li.current', '待审核');
      await assertMenu(page, 'the reviewer', ['订单', '修改密码', '系统状态'],
                       ['发票', '支付宝退款', '审计日志', '员工管理', '协议文本', '下载中心']);
      const ids = await page.$$eval('#orders tbody tr[data-order]', (trs) => trs.map((tr) => tr.dataset.order));
      for (const id of [TO_APPROVE, TO_REJECT, TO_REFUSE, TO_BULK]) assert(ids.includes(id), `the queue lists ${id}: ${ids}`);
      const row = (await queueRow(page, TO_REJECT)).join(' ');
      assert(/\d{4}年\d\d月\d\d日 \d\d:\d\d/.test(row), `提交时间 as 年/月/日: ${row}`);
      assert(!/\d{4}-\d\d-\d\d/.test(row), `no ISO date in the row: ${row}`);
      // on a 1280 px screen: every column in view, 业务 by words, a time on one line
      const look = await tableLook(page, '#orders', '#orders td:has(+ td.applicant), #orders td:nth-last-child(2), #orders td:nth-last-child(3)');
      assert(look.right <= look.width, `the queue fits the window: ${look.right} > ${look.width}`);
      for (const c of look.lines) {
        assert(c.lines <= (/年/.test(c.text) ? 1 : 3), `${c.text}: ${c.lines} lines`);
      }
    });

    await j.step("finance's and admin's pages refused: the reviewer is told which role they need", async () => {
      assertEqual(await staffGo(j, '/admin/invoices'), 403, 'GET /admin/invoices as a reviewer');
      assertEqual(await refusal(page), '您没有权限访问此页面（需要：财务或管理员）。', 'the refusal of 发票');
      assertEqual(await staffGo(j, '/admin/staff'), 403, 'GET /admin/staff as a reviewer');
      assert((await refusal(page)).includes('您没有权限访问此页面'), 'the refusal of 员工管理');
      assert((await textOf(page, '#staff')).includes(STAFF.reviewer), 'still logged in as the reviewer');
    }, { expect: [{ status: 403, url: /\/admin\/(invoices|staff)$/ }] });

    await j.step('提交日期 typed as 年/月/日 and as yyyy/m/d filters the queue; shown as 2026年12月07日', async () => {
      await staffGo(j, '/admin/orders?state=pending_review');
      const row = await queueRow(page, TO_REJECT);
      const day = typedDay(row.find((c) => /年/.test(c)));
      await waitText(page, '#date-hint', '如 2026年12月7日，也可输入 2026-12-07');
      assertEqual(await page.$eval('form.filters input[name=from]', (e) => e.type), 'text', 'the date field is a text field');
      await fillForm(page, { 'form.filters input[name=from]': day.typed, 'form.filters input[name=to]': day.slashed });
      await submitAndGo(page, 'form.filters button[type=submit]');
      assertEqual(await page.$eval('form.filters input[name=from]', (e) => e.value), day.text, 'the from field after the search');
      assertEqual(await page.$eval('form.filters input[name=to]', (e) => e.value), day.text, 'the to field after the search');
      const ids = await page.$$eval('#orders tbody tr[data-order]', (trs) => trs.map((tr) => tr.dataset.order));
      assert(ids.includes(TO_REJECT), `that day's orders are listed: ${ids}`);
    });

    await j.step('a day that does not exist (2026年2月30日) is refused with the format to use', async () => {
      await fill(page, 'form.filters input[name=from]', '2026年2月30日');
      await submitAndGo(page, 'form.filters button[type=submit]');
      assertEqual(await refusal(page), '请按 2026年12月7日 或 2026-12-07 的格式填写提交日期。', 'the refusal');
    }, { expect: [{ status: 400, url: /\/admin\/orders\?/ }] });

    await j.step('the order page: 待审核, the transfer voucher shown and opened; only 审核不通过 before finance confirms', async () => {
      await openOrder(j, TO_REJECT);
      assertEqual(await stateOf(page), '待审核', 'the state');
      await waitText(page, '#voucher-state', '待财务确认');
      const caption = await textOf(page, '#voucher figcaption');
      assert(/公对公转账凭证/.test(caption) && /上传于 \d{4}年\d\d月\d\d日 \d\d:\d\d/.test(caption), `the voucher's caption: ${caption}`);
      // loading=lazy: drawn once scrolled to
      await page.$eval('#voucher img', (i) => i.scrollIntoView());
      await page.waitForFunction(() => {
        const i = document.querySelector('#voucher img');
        return i.complete && i.naturalWidth > 0;
      });
      assert(!(await page.$('#form-approve')), 'no 审核通过 before the transfer is confirmed');
      const href = await page.$eval('#voucher figure a', (a) => a.getAttribute('href'));
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(href) && r.request().resourceType() === 'document'),
        click(page, '#voucher figure a'),
      ]);
      assertEqual(res.status(), 200, 'the voucher file');
      assert(/^image\/jpeg/.test(res.headers()['content-type'] || ''), `the voucher is an image: ${res.headers()['content-type']}`);
      await page.waitForFunction(() => document.images.length === 1 && document.images[0].naturalWidth > 0);
      await page.goBack({ waitUntil: 'domcontentloaded' });
      await waitText(page, '#order-id', TO_REJECT);
    });

    await j.step('审核不通过 with a reason and a material to upload again: 审核未通过, the reason in the record', async () => {
      await openOrder(j, TO_REJECT);
      await click(page, '#form-reject input[name="kind.business_license"]');
      await fill(page, '#form-reject textarea[name=reason]', REJECT_REASON);
      await submitAndGo(page, '#form-reject button[type=submit]');
      await done(page, '已审核不通过，申请人已收到原因。');
      assertEqual(await stateOf(page), '审核未通过', 'the state');
      await waitText(page, '#timeline', REJECT_REASON);
      assert(!(await page.$('#form-reject')), 'nothing more to do for the reviewer');
    });

    await j.step('退出: back on the login form; the queue asks to log in again', async () => {
      await staffLogout(j);
      await staffGo(j, '/admin/orders');
      await page.waitForSelector('form.login');
    });
  },
}, {
  name: 'finance',
  async run(j) {
    const page = j.page;

    await j.step('登录 as 财务: 发票 and 支付宝退款 in the menu, no admin pages', async () => {
      await staffLogin(j, 'finance');
      await assertMenu(page, 'finance', ['订单', '发票', '支付宝退款'], ['审计日志', '员工管理']);
    });

    await j.step('到账确认 with an amount that is not the order\'s: refused, nothing changed', async () => {
      await openOrder(j, TO_APPROVE);
      await waitText(page, '#amount', '350.00');
      await fillForm(page, { '#form-voucher-confirm input[name=payer]': PAYER, '#form-voucher-confirm input[name=amount]': '300' });
      await submitAndGo(page, '#form-voucher-confirm button[type=submit]');
      assert((await refusal(page)).includes('转账金额与订单金额不一致（订单金额：350.00元）'), 'the refusal says the amount');
      await openOrder(j, TO_APPROVE);
      await waitText(page, '#voucher-state', '待财务确认');
    }, { expect: [{ status: 422, url: /voucher-confirm$/ }] });

    await j.step('到账确认 as on the voucher (two orders): 已确认转账凭证, the payer and amount shown', async () => {
      for (const id of [TO_APPROVE, TO_BULK]) {
        await openOrder(j, id);
        await fillForm(page, { '#form-voucher-confirm input[name=payer]': PAYER, '#form-voucher-confirm input[name=amount]': '350.00' });
        await submitAndGo(page, '#form-voucher-confirm button[type=submit]');
        await done(page, '已确认转账凭证。');
        const voucher = await textOf(page, '#payment');
        assert(voucher.includes(PAYER), `the payer is shown: ${voucher}`);
        assert(!(await page.$('#form-voucher-confirm')), 'no second confirmation offered');
      }
    });

    await j.step('退回转账凭证 with a reason: 待上传凭证, the reason in the record', async () => {
      await openOrder(j, TO_REFUSE);
      await fill(page, '#form-voucher-refuse textarea[name=reason]', REFUSE_REASON);
      await submitAndGo(page, '#form-voucher-refuse button[type=submit]');
      await done(page, '已退回转账凭证，申请人已收到原因。');
      assertEqual(await stateOf(page), '待上传凭证', 'the state');
      await waitText(page, '#timeline', REFUSE_REASON);
    });

    await j.step('发票: the e-invoice queue with its states, dates as 年/月/日', async () => {
      await staffGo(j, '/admin/invoices');
      await waitText(page, 'main h2', '发票');
      const states = await textOf(page, '#states');
      for (const s of ['待开具', '开具中', '开具失败', '已开具']) assert(states.includes(s), `the queue's states: ${states}`);
      const rows = await tableRows(page, '#invoices tbody');
      assert(rows.length >= 1, 'the demo invoices are listed');
      const text = rows.map((r) => r.join(' ')).join('\n');
      assert(/已开具/.test(text) && /\d{4}年\d\d月\d\d日 \d\d:\d\d/.test(text) && !/\d{4}-\d\d-\d\d/.test(text),
             `issued invoices with 年/月/日 times: ${text}`);
    });

    await j.step('支付宝退款: nothing to refund says so', async () => {
      await staffGo(j, '/admin/alipay/refunds');
      await waitText(page, '#no-refunds', '没有需要退款的支付宝付款。');
    });

    await j.step('冲红重开 of an issued invoice with a new title: the correction queued', async () => {
      await openOrder(j, INVOICED);
      await waitText(page, '#current-invoice', '043002600111 / 00000001');
      await waitText(page, '#form-invoice-correct h4', '冲红重开');
      await fill(page, '#form-invoice-correct input[name=title]', NEW_TITLE);
      await fill(page, '#form-invoice-correct textarea[name=reason]', '申请人来函：抬头应为分公司名称');
      await submitAndGo(page, '#form-invoice-correct button[type=submit]');
      await done(page, '已提交发票更正，将由 invoice-send 依次开具。');
      await waitText(page, '#invoice-requests', '红字');
    });

    await j.step('the tax platform refuses: 开具失败 first in the queue with its reason; 重新开具 queues it again', async () => {
      // a refusal is retried with backoff up to invoice_policy.max_attempts
      // before finance is asked: the hall's policy set to ask at once
      await sql(j.hall, 'UPDATE invoice_policy SET max_attempts = 1');
      await taxMode(j.hall, 'refuse');
      // its exit status says a send failed (1): what this step is about
      await invoiceSend(j.hall).catch((e) => { if (e.code !== 1) throw e; });
      await staffGo(j, '/admin/invoices');
      const first = await page.$eval('#invoices tbody tr', (tr) => ({ state: tr.dataset.state, text: tr.innerText }));
      assertEqual(first.state, 'failed', 'the first row of the queue');
      assert(first.text.includes('开具失败') && first.text.includes('税务平台拒绝：1001 购买方纳税人识别号校验失败') && first.text.includes(INVOICED),
             `the failed request says why: ${first.text}`);
      assert(!/refused/i.test(first.text), `finance reads no English: ${first.text}`);
      // on a 1280 px screen: 操作 (重新开具) in view, 排队时间 on one line
      const look = await tableLook(page, '#invoices', '#invoices td.time');
      assert(look.right <= look.width, `the invoice queue fits the window: ${look.right} > ${look.width}`);
      for (const c of look.lines) assertEqual(c.lines, 1, `排队时间 ${c.text} on one line`);
      const retry = await page.$eval('#invoices tbody tr[data-state=failed] form.retry button', (b) => b.getBoundingClientRect().right);
      assert(retry <= look.width, `重新开具 in view: ${retry}`);
      await waitText(page, '#states a[data-state=failed] .count', '1');
      await taxMode(j.hall, 'ok');
      await submitAndGo(page, '#invoices tbody tr[data-state=failed] form.retry button[type=submit]');
      await done(page, '已重新排队');
      await waitText(page, '#states a[data-state=failed] .count', '0');
    });

    await j.step('invoice-send again: the red invoice and the new one issued, the order shows the new title', async () => {
      await invoiceSend(j.hall);
      await invoiceSend(j.hall);
      await openOrder(j, INVOICED);
      const current = await textOf(page, '#current-invoice');
      assert(/^043002600111 \/ \d{8}$/.test(current) && current !== '043002600111 / 00000001', `a new invoice: ${current}`);
      await waitText(page, '#invoice-requests', NEW_TITLE);
    });
  },
}, {
  name: 'approve and ship',
  async run(j) {
    const page = j.page;

    await j.step('批量审核通过 from the queue: the confirmed order passes (待自取), the one awaiting finance is refused with why', async () => {
      await staffLogin(j, 'reviewer');
      await staffGo(j, '/admin/orders?state=pending_review');
      await click(page, `#bulk input[name="sel.${TO_BULK}"]`);
      await click(page, `#bulk input[name="sel.${NOT_CONFIRMED}"]`);
      await submitAndGo(page, '#bulk button[type=submit]');
      await waitText(page, '#bulk-summary', '共 2 个订单');
      assertEqual(await textOf(page, '#bulk-ok'), '1', 'approved');
      assertEqual(await textOf(page, '#bulk-failed'), '1', 'refused');
      const why = await page.$eval(`#bulk-results tr[data-order="${NOT_CONFIRMED}"]`, (tr) => tr.innerText);
      assert(why.includes('转账凭证尚未经财务确认，不能审核通过'), `the refusal says the voucher awaits finance: ${why}`);
      await openOrder(j, TO_BULK);
      assertEqual(await stateOf(page), '待自取', 'the bulk-approved order (受理点自取)');
      await openOrder(j, NOT_CONFIRMED);
      assertEqual(await stateOf(page), '待审核', 'the refused one');
      await staffLogout(j);
    });

    await j.step('审核通过 by the reviewer once finance confirmed: 待邮寄', async () => {
      await staffLogin(j, 'reviewer');
      await openOrder(j, TO_APPROVE);
      await submitAndGo(page, '#form-approve button[type=submit]');
      await done(page, '已审核通过。');
      assertEqual(await stateOf(page), '待邮寄', 'the state');
      await staffLogout(j);
    });

    await j.step('登录 as 发货员: 待邮寄 lists the order; 登记证书 with its validity typed as 年/月/日', async () => {
      await staffLogin(j, 'shipper', STAFF_PASSWORD);
      await staffGo(j, '/admin/orders?state=pending_shipment');
      await page.waitForSelector(`#orders tr[data-order="${TO_APPROVE}"]`);
      await openOrder(j, TO_APPROVE);
      await waitText(page, '#valid-hint', '如 2026年12月7日');
      await fillForm(page, {
        '#form-certificate input[name=serial]': SERIAL,
        '#form-certificate input[name=valid_from]': '2026年12月7日',
        '#form-certificate input[name=valid_to]': '2028/12/6',
      });
      await submitAndGo(page, '#form-certificate button[type=submit]');
      await done(page, '已登记证书。');
      const facts = await orderFacts(page);
      // whole days: from the first minute of the first to the last of the last
      assertEqual(facts['有效期自'], '2026年12月07日 00:00', '有效期自');
      assertEqual(facts['有效期至'], '2028年12月06日 23:59', '有效期至');
    });

    await j.step('快递寄出 with the courier and tracking number: 待收货, 物流状态 shown', async () => {
      await page.select('#form-ship select[name=courier]', 'sf');
      await fill(page, '#form-ship input[name=tracking_no]', TRACKING);
      await submitAndGo(page, '#form-ship button[type=submit]');
      await done(page, '已登记快递寄出。');
      assertEqual(await stateOf(page), '待收货', 'the state');
      await waitText(page, '#courier', '顺丰速运');
      await waitText(page, '#tracking-no', TRACKING);
      await waitText(page, '#auto-confirm-on', /^\d{4}年\d\d月\d\d日$/);
    });
  },
}];
