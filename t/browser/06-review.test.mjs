// Journey (e → f): the review's rejection seen and corrected, on an order
// that went through 基本信息, 资料上传, 开票信息 and 订单提交 (快递): those
// steps are driven in the browser by 05-apply; here the order is made
// through the same API the order page uses (lib/order.mjs) and the journey
// starts at 待支付. Paid by transfer (the voucher uploaded), 确认到账 by
// finance in the back office; the reviewer's 审核不通过 naming 营业执照;
// the applicant reads the reason and what to complete, replaces the
// 营业执照 and 重新提交; the reviewer sees what changed (营业执照
// re-uploaded, 基本信息 unchanged) and approves: 待邮寄; the shipper
// records the certificate and ships (courier, tracking number): the
// applicant sees 待收货 with 物流状态. Staff work in the back office in a
// browser context of their own (lib/pay.mjs's asStaff).
import path from 'node:path';
import { verifiedAccount, scratch, scan } from './lib/applicant.mjs';
import { session, submittedOrgOrder, openOrder } from './lib/order.mjs';
import { colourScan, asStaff } from './lib/pay.mjs';
import { uploadMaterial } from './lib/materials.mjs';
import { fill, click, waitText, textOf, loginByPassword, submitAndGo, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270063';
const PASSWORD = 'Review5er2027';
const NAME = '孙八';
const ID = '430102199001011238';
const ORG = '长沙复审测试有限公司';
const USCC = '91350100M000100Y43';
const PRICE = '350.00';              // 长沙 新办 单位, the catalog's price
const REASON = '营业执照扫描件不清晰，请重新上传清晰的彩色扫描件';
const TRACKING = 'SF7300270063001';

// the applicant's page again after staff acted
async function reload(page) {
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#order-loading', { hidden: true });
}

// a back-office order page, as `login` sees it
async function staffOrder(j, login, id, act) {
  return asStaff(j, login, async (staff) => {
    await staff.goto(j.url(`/admin/orders/${id}`), { waitUntil: 'domcontentloaded' });
    return act(staff);
  });
}

// a date typed into the back office's date field as a person types it,
// 年/月/日 (a text field: the browser's locale plays no part)
async function typeDate(page, selector, date) {
  const [y, m, d] = date.split('-');
  const typed = `${y}年${Number(m)}月${Number(d)}日`;
  await fill(page, selector, typed);
  assertEqual(await page.$eval(selector, (e) => e.value), typed, `${selector} as typed`);
}

function isoDay(offsetDays) {
  const t = new Date(Date.now() + 8 * 3600e3 + offsetDays * 86400e3);   // a Beijing date
  return t.toISOString().slice(0, 10);
}

export const journeys = [{
  name: 'review',
  async run(j) {
    const page = j.page;
    const files = await scratch('review');
    try {
      await verifiedAccount(j.hall, PHONE, PASSWORD, NAME, ID);
      const jar = await session(j.hall, PHONE, PASSWORD);
      const order = await submittedOrgOrder(j.hall, jar, files.dir, {
        project: 'changsha_ggzy',
        info: { org_name: ORG, uscc: USCC, legal_name: NAME, legal_id_number: '110101199003077758',
                handler_name: NAME, mobile: PHONE, email: 'review@example.com' },
        invoice: { title_type: 'org', title: ORG, taxpayer_id: USCC, email: 'review@example.com', mobile: PHONE },
        address: { recipient: NAME, mobile: PHONE, region: '湖南省长沙市岳麓区', postal_code: '410000',
                   detail: '麓山南路 63 号' },
      });
      j.tap.diag(`  order ${order.id} submitted through the API (基本信息, 6 materials, 开票信息, 快递)`);
      await review(j, page, order.id, files.dir);
    } finally {
      await files.remove();
    }
  },
}];

async function review(j, page, id, dir) {
  await j.step('the submitted order: 待支付, its information and materials shown', async () => {
    await loginByPassword(j, PHONE, PASSWORD);
    await openOrder(j, id);
    await waitText(page, '#order-facts', '待支付');
    await waitText(page, '#order-facts', '单位证书-新办');
    await waitText(page, '#delivery-facts', '快递邮寄');
    await waitText(page, 'main', ORG);
  });

  await j.step('公对公转账 and the voucher uploaded: 资料待审核', async () => {
    await click(page, 'label[for=pay-transfer]');
    await click(page, '#pay-form button[type=submit]');
    await waitText(page, '#transfer-facts', `¥${PRICE}`);
    const input = await page.waitForSelector('#voucher input[type=file]');
    await input.uploadFile(await colourScan(path.join(dir, 'pay')));
    await waitText(page, '#flash', '转账凭证已上传，订单已进入人工审核，请留意审核结果。');
    await waitText(page, '#order-facts', '待审核');
  });

  await j.step('确认到账 by finance in the back office: the applicant sees 订单实付', async () => {
    const said = await staffOrder(j, 'finance', id, async (staff) => {
      await fill(staff, '#form-voucher-confirm input[name=payer]', ORG);
      await fill(staff, '#form-voucher-confirm input[name=amount]', PRICE);
      await submitAndGo(staff, '#form-voucher-confirm button[type=submit]');
      return textOf(staff, 'body');
    });
    assert(said.includes('已确认') || said.includes('确认到账'), `the back office says it: ${said.slice(0, 300)}`);
    await reload(page);
    const facts = await waitText(page, '#order-facts', `¥${PRICE}`);
    assert(new RegExp(`订单实付\\s*¥${PRICE.replace('.', '\\.')}`).test(facts), `订单实付 is the price: ${facts}`);
    await waitText(page, '#order-facts', '资料待审核');
  });

  await j.step('审核不通过 naming 营业执照: the applicant reads the reason and what to redo', async () => {
    await staffOrder(j, 'reviewer', id, async (staff) => {
      await click(staff, '#form-reject input[name="kind.business_license"]');
      await fill(staff, '#form-reject textarea[name=reason]', REASON);
      await submitAndGo(staff, '#form-reject button[type=submit]');
      await waitText(staff, 'body', '审核不通过');
    });
    await reload(page);
    await waitText(page, '#order-rejected', `审核未通过：${REASON}（需重新上传：营业执照）。请按要求修改订单后重新提交。`);
    await waitText(page, '#order-facts', '审核未通过');
    const todo = await waitText(page, '#resubmit-todo', '重新提交前还需完成');
    assert(todo.includes('营业执照'), `the 营业执照 is asked for again: ${todo}`);
    j.tap.diag(`  ${todo.replace(/\n/g, ' | ')}`);
    await page.waitForSelector('#act-resubmit', { hidden: true });
  });

  await j.step('去上传 leads to 资料上传, where the 营业执照 is replaced', async () => {
    await submitAndGo(page, '#resubmit-todo a[data-step="2"]');
    await waitText(page, '#materials-title', '资料上传');
    await waitText(page, '#edit-rejected', REASON);
    const file = await scan(dir, 'license-clear.jpg', 'jpg', 'color', 1600, 1130);
    await uploadMaterial(page, 'business_license', file);
    await waitText(page, '#mat-business_license .material-file', 'license-clear.jpg');
  });

  await j.step('4 订单提交 offers 重新提交, nothing missing; pressed: back to 资料待审核', async () => {
    await click(page, '#step-link-4');
    await waitText(page, '#submit-title', '订单提交');
    await page.waitForSelector('#resubmit-panel', { visible: true });
    await page.waitForSelector('#resubmit-missing', { hidden: true });
    await page.waitForSelector('#resubmit-btn', { visible: true });
    await submitAndGo(page, '#resubmit-btn');
    assertEqual(new URL(page.url()).pathname, '/order.html', 'the page');
    await page.waitForSelector('#order-loading', { hidden: true });
    await waitText(page, '#flash', '订单已重新提交');
    await waitText(page, '#order-facts', '资料待审核');
    await page.waitForSelector('#order-rejected', { hidden: true });
  });

  await j.step('the reviewer sees what changed (营业执照 re-uploaded) and approves: 待邮寄', async () => {
    const changes = await staffOrder(j, 'reviewer', id, async (staff) => {
      const seen = {
        reason: await textOf(staff, '#rejection-reason'),
        kinds: await textOf(staff, '#rejection-kinds'),
        info: await textOf(staff, '#info-changed'),
        license: await textOf(staff, '#material-changes tr[data-kind="business_license"]'),
        letter: await textOf(staff, '#material-changes tr[data-kind="responsibility_letter"]'),
      };
      await submitAndGo(staff, '#form-approve button[type=submit]');
      await waitText(staff, 'body', '审核通过');
      return seen;
    });
    j.tap.diag(`  ${JSON.stringify(changes)}`);
    assertEqual(changes.reason, `${REASON}（需重新上传：营业执照）`, 'the reason shown to the reviewer');
    assertEqual(changes.kinds, '营业执照', 'the material named');
    assertEqual(changes.info, '未修改', '基本信息');
    assert(/要求重新上传\s*已重新上传于/.test(changes.license), `营业执照 re-uploaded: ${changes.license}`);
    assert(/未变/.test(changes.letter), `the others unchanged: ${changes.letter}`);
    await reload(page);
    await waitText(page, '#order-facts', '待邮寄');   // the seeds' name (seed 002), the brief's 待发货
  });

  await j.step('the shipper records the certificate and ships it: the applicant sees 待收货 and 物流状态', async () => {
    const courier = await staffOrder(j, 'shipper', id, async (staff) => {
      await fill(staff, '#form-certificate input[name=serial]', 'BE00002700630001');
      await typeDate(staff, '#form-certificate input[name=valid_from]', isoDay(0));
      await typeDate(staff, '#form-certificate input[name=valid_to]', isoDay(365));
      await submitAndGo(staff, '#form-certificate button[type=submit]');
      const c = await staff.$eval('#form-ship select[name=courier]', (s) => {
        const o = [...s.options].find((x) => x.value);
        return { value: o.value, name: o.textContent.trim() };
      });
      await staff.select('#form-ship select[name=courier]', c.value);
      await fill(staff, '#form-ship input[name=tracking_no]', TRACKING);
      await submitAndGo(staff, '#form-ship button[type=submit]');
      await waitText(staff, 'body', TRACKING);
      return c.name;
    });
    await reload(page);
    await waitText(page, '#order-facts', '待收货');
    const shipped = await waitText(page, '#shipment-facts', TRACKING);
    assert(shipped.includes(courier), `the courier ${courier}: ${shipped}`);
    assert(/物流状态/.test(shipped), `物流状态: ${shipped}`);
    await page.waitForSelector('#act-receipt', { visible: true });
    j.tap.diag(`  ${shipped.replace(/\n/g, ' | ')}`);
  });
}
