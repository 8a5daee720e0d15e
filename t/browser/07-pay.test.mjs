// Journeys (e): paying an order in 待支付, as the demo applicant, on orders
// of its own (lib/pay.mjs: made as the demo's is, older than it):
// 公对公转账 (the CA's bank details, the voucher uploaded, 待审核; finance's
// 退回转账凭证 in the back office and a corrected voucher uploaded; the
// reviewer's 审核不通过 in the back office, read by the applicant with its
// reason and what to complete before 重新提交) and 支付宝 through the Alipay double (its cashier page,
// 确认付款, back on pay-return.html: 支付成功，等待审核).
import path from 'node:path';
import { DEMO_VERIFIED as DEMO } from './lib/accounts.mjs';
import { fill, click, waitText, textOf, loginByPassword, visit, submitAndGo, assert } from './lib/user.mjs';
import { pendingOrder, colourScan, asStaff } from './lib/pay.mjs';
import { openOrder } from './lib/order.mjs';

const BY_TRANSFER = 'UO202612070100000071';
const BY_ALIPAY = 'UO202612070100000072';
const PRICE = '¥350.00';            // 长沙 新办 单位, the catalog's price
const VOUCHER_REASON = '凭证金额与订单金额不符';
const REASON = '转账凭证的付款单位与申请单位不一致，请核对后重新提交';

export const journeys = [{
  name: 'pay by transfer',
  async run(j) {
    const page = j.page;

    await j.step('the order shows 待支付 and 在线缴费 with its price', async () => {
      await pendingOrder(j.hall, BY_TRANSFER);
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await openOrder(j, BY_TRANSFER);
      await waitText(page, '#order-facts', '待支付');
      await waitText(page, '#pay-title', '在线缴费');
      await waitText(page, '#pay-amount', PRICE);
      await page.waitForSelector('#pay-form', { visible: true });
      assert(await page.$eval('#transfer', (e) => e.hidden), 'no bank details before 公对公转账 is chosen');
    });

    await j.step('缴费方式 公对公转账: the payee, bank account and amount shown', async () => {
      await click(page, 'label[for=pay-transfer]');
      await click(page, '#pay-form button[type=submit]');
      await waitText(page, '#flash', '已选择公对公转账，请按下面的收款信息转账，再上传转账凭证。');
      const facts = await waitText(page, '#transfer-facts', '华盾云科技术有限公司');
      for (const want of ['收款方', '收款银行账号', '华夏银行股份有限公司长沙窑岭支行', '13452000000402912', '转账金额', PRICE]) {
        assert(facts.includes(want), `the bank details say ${want}: ${facts}`);
      }
      await waitText(page, '#transfer-note', '付款单位名称与申请单位名称一致');
      await waitText(page, '#order-facts', '待上传凭证');
      await page.waitForSelector('#pay-form', { hidden: true });
      await page.waitForSelector('#voucher input[type=file]');
      await waitText(page, '#voucher', '公对公转账凭证');
      // 查看示例 beside it, as beside every material: the voucher's example
      const sample = await page.waitForSelector('#voucher a.sample-link', { visible: true });
      const href = await sample.evaluate((a) => a.getAttribute('href'));
      assert(href === '/samples/transfer-voucher.svg', `the voucher's example: ${href}`);
      await sample.click();
      await page.waitForFunction(() => {
        const i = document.querySelector('dialog[open] img');
        return i && i.complete && i.naturalWidth > 0 && /transfer-voucher\.svg$/.test(i.src);
      });
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog[open]', { hidden: true });
    });

    await j.step('the voucher uploaded: 资料待审核, the voucher listed', async () => {
      const scan = await colourScan(path.join(j.dir, 'files'));
      const input = await page.waitForSelector('#voucher input[type=file]');
      await input.uploadFile(scan);
      await waitText(page, '#flash', '转账凭证已上传，订单已进入人工审核，请留意审核结果。');
      await waitText(page, '#order-facts', '待审核');
      await waitText(page, '#pay-title', '缴费信息');
      await page.waitForSelector('#voucher .thumb', { visible: true });
      assert(!(await page.$('#voucher input[type=file]')), 'the voucher can no longer be changed');
    });

    await j.step('退回转账凭证 by finance: 转账凭证未通过, the reason, a new voucher asked for', async () => {
      await asStaff(j, 'finance', async (staff) => {
        await staff.goto(j.url(`/admin/orders/${BY_TRANSFER}`), { waitUntil: 'domcontentloaded' });
        await fill(staff, '#form-voucher-refuse textarea[name=reason]', VOUCHER_REASON);
        await submitAndGo(staff, '#form-voucher-refuse button[type=submit]');
      });
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#order-loading', { hidden: true });
      await waitText(page, '#order-facts', '转账凭证未通过');
      await waitText(page, '#order-facts', '待上传凭证');
      await waitText(page, '#timeline', VOUCHER_REASON);
      await page.waitForSelector('#voucher input[type=file]');
      // the reason and what to do beside the voucher, not only in 办理记录
      const said = await waitText(page, '#voucher-refused', VOUCHER_REASON);
      assert(said.includes('转账凭证未通过') && said.includes('重新上传'), `the 在线缴费 card says what to do: ${said}`);
      const beside = await page.$eval('#voucher-refused', (e) => e.closest('#pay') !== null
        && (e.compareDocumentPosition(document.getElementById('voucher')) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0);
      assert(beside, 'the notice is in the 在线缴费 card, right above the voucher');
    });

    await j.step('a corrected voucher uploaded: 资料待审核 again', async () => {
      const scan = await colourScan(path.join(j.dir, 'files'), 'voucher-2.jpg');
      const input = await page.waitForSelector('#voucher input[type=file]');
      await input.uploadFile(scan);
      await waitText(page, '#flash', '转账凭证已上传，订单已进入人工审核，请留意审核结果。');
      await waitText(page, '#order-facts', '待审核');
      await waitText(page, '#voucher', 'voucher-2.jpg');
      await page.waitForSelector('#voucher-refused', { hidden: true });
    });

    await j.step('审核不通过 in the back office: the applicant reads the reason', async () => {
      await asStaff(j, 'reviewer', async (staff) => {
        await staff.goto(j.url(`/admin/orders/${BY_TRANSFER}`), { waitUntil: 'domcontentloaded' });
        await fill(staff, '#form-reject textarea[name=reason]', REASON);
        await submitAndGo(staff, '#form-reject button[type=submit]');
        await waitText(staff, 'body', '审核不通过');
      });
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#order-loading', { hidden: true });
      await waitText(page, '#order-rejected', `审核未通过：${REASON}。请按要求修改订单后重新提交。`);
      await waitText(page, '#order-facts', '审核未通过');
      // this order, made as the demo's 待支付 one, has no basic information
      // or materials: 重新提交 waits for them (the apply journey's orders have them)
      const todo = await waitText(page, '#resubmit-todo', '重新提交前还需完成');
      for (const want of ['请填写基本信息', '请上传营业执照', '请填写开票信息']) {
        assert(todo.includes(want), `what is left is said: ${want}: ${todo}`);
      }
      await page.waitForSelector('#act-edit', { visible: true });
      const timeline = await textOf(page, '#timeline');
      assert(timeline.includes('审核不通过') && timeline.includes(REASON), `办理记录 has the rejection and its reason: ${timeline}`);
    });
  },
}, {
  name: 'pay by Alipay',
  async run(j) {
    const page = j.page;

    // the double (t/bin/alipay-gateway) serves no favicon: Chromium asks for one
    const doubleFavicon = [{ status: 404, url: new RegExp(`:${j.hall.port + 3}/favicon\\.ico$`) }];
    await j.step('缴费方式 支付宝: the double\'s cashier page shows the amount', async () => {
      await pendingOrder(j.hall, BY_ALIPAY);
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await openOrder(j, BY_ALIPAY);
      await waitText(page, '#order-facts', '待支付');
      await click(page, 'label[for=pay-alipay]');
      await submitAndGo(page, '#pay-form button[type=submit]');
      assert(new URL(page.url()).port === String(j.hall.port + 3), `at the Alipay double: ${page.url()}`);
      await waitText(page, 'body', '350.00');
      await page.waitForSelector('#pay', { visible: true });
      await waitText(page, '#pay', '确认付款');
    }, { expect: doubleFavicon });

    await j.step('确认付款: back on pay-return.html, 支付成功，等待审核', async () => {
      await submitAndGo(page, '#pay');
      assert(new URL(page.url()).pathname === '/pay-return.html', `back in the hall: ${page.url()}`);
      await waitText(page, '#result-paid', '支付成功，等待审核');
      const facts = await waitText(page, '#result-facts', BY_ALIPAY);
      assert(facts.includes('待审核'), `the order's state: ${facts}`);
      await page.waitForSelector('#result-order', { visible: true });
    }, { expect: doubleFavicon });

    await j.step('查看订单: 资料待审核, paid by 支付宝, no bank details', async () => {
      await submitAndGo(page, '#result-order');
      await page.waitForSelector('#order-loading', { hidden: true });
      await waitText(page, '#order-facts', '待审核');
      await waitText(page, '#alipay-paid-title', '支付宝付款');
      await waitText(page, '#alipay-facts', PRICE);
      const facts = await waitText(page, '#order-facts', '订单实付');
      assert(/订单实付\s*¥350\.00/.test(facts),
             `订单实付 is the price: ${facts}`);
      assert(await page.$eval('#transfer', (e) => e.hidden), 'no bank details once paid by Alipay');
      await page.waitForSelector('#pay-form', { hidden: true });
    });
  },
}];
