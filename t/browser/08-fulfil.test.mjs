// Journey (f): after the payment, as the demo applicant: the order in
// 待收货 with its 物流状态 (courier, tracking number), 确认收货 (待开票),
// its e-invoice issued by the tax platform's double (certhall-admin
// invoice-send, the job a cron runs) and 下载发票 (a PDF, an attachment);
// 我的申请 (the draft) and 下载中心 (a form listed and downloaded, its
// SHA-256 the one the page shows).
import { DEMO_VERIFIED as DEMO } from './lib/accounts.mjs';
import { click, waitText, textOf, loginByPassword, visit, assert, assertEqual } from './lib/user.mjs';
import { download, invoiceSend } from './lib/pay.mjs';
import { sql } from './lib/hall.mjs';
import { openOrder } from './lib/order.mjs';

const SHIPPED = 'UO202612010930000002';   // 待收货, sent by 顺丰 6 days ago
const DRAFT = 'UO202612060930000004';     // 我的申请's draft

export const journeys = [{
  name: 'fulfil',
  async run(j) {
    const page = j.page;

    await j.step('待收货: 物流状态 shows the courier and the tracking number', async () => {
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await openOrder(j, SHIPPED);
      await waitText(page, '#order-facts', '待收货');
      const facts = await waitText(page, '#shipment-facts', '顺丰速运');
      assert(facts.includes('SF1419246087532'), `the tracking number: ${facts}`);
      await page.waitForSelector('#act-receipt', { visible: true });
      // a shipped order is a complete one: its 基本信息 and every material
      // (sql/demo.sql, sql/demo-details.sql), as its submission left them
      assert(await page.$eval('#info-none', (e) => e.hidden), `基本信息 filled in: ${await textOf(page, '#info-facts')}`);
      const info = await textOf(page, '#info-facts');
      for (const want of ['湖南示例科技有限公司', '91350100M000100Y43', '1101**********002X']) {
        assert(info.includes(want), `基本信息 shows ${want}: ${info}`);
      }
      const files = await page.$$eval('#materials > li', (l) => l.map((m) => ({
        text: m.innerText, drawn: !!m.querySelector('a.thumb img') })));
      assert(files.length >= 6, `the materials listed: ${files.length}`);
      for (const f of files) assert(f.drawn && !f.text.includes('未上传'), `uploaded, with its thumbnail: ${f.text}`);
      await page.waitForFunction(() => [...document.querySelectorAll('#materials a.thumb img')]
        .every((i) => i.complete && i.naturalWidth > 0));
    });

    await j.step('确认收货 asks first, then the order is 待开票', async () => {
      await click(page, '#act-receipt');
      await page.waitForSelector('#receipt-dialog[open]', { visible: true });
      await waitText(page, '#receipt-dialog-text', '确认后不能撤销');
      await click(page, '#receipt-confirm');
      await page.waitForSelector('#receipt-dialog', { hidden: true });
      await waitText(page, '#order-facts', '待开票');
      await page.waitForSelector('#act-receipt', { hidden: true });
      await page.waitForSelector('#einvoice-card', { visible: true });
      const shipment = await textOf(page, '#shipment-facts');
      assert(shipment.includes('收货时间'), `物流状态 says when it was received: ${shipment}`);
    });

    await j.step('开票中 as soon as received: no 开具发票 (the request is already due)', async () => {
      await waitText(page, '#einvoice-facts', '开票中');
      await waitText(page, '#einvoice-message', '发票开具中');
      assert(await page.$eval('#act-invoice', (e) => e.hidden), '开具发票 is not offered: pressing it would change nothing');
      await page.waitForSelector('#act-invoice-edit', { visible: true });
    });

    await j.step('开具发票 offered once a retry waits for later, and the request taken', async () => {
      // a send that failed waits (invoice_policy's backoff): 开具发票 sends it at the next run
      await sql(j.hall, `UPDATE invoice_requests SET next_try_at = now() + interval '1 hour'
                          WHERE order_id = '${SHIPPED}' AND state = 'queued'`);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#order-loading', { hidden: true });
      await waitText(page, '#einvoice-facts', '开票中');
      await click(page, '#act-invoice');
      await waitText(page, '#flash', '已提交开票申请，电子发票开出后将发送到您的邮箱，并可在此下载。');
      await waitText(page, '#einvoice-facts', '开票中');
      assert(await page.$eval('#einvoice-error', (e) => e.hidden), `no refusal: ${await textOf(page, '#einvoice-error')}`);
      await waitText(page, '#order-facts', '待开票');
      await page.waitForSelector('#act-invoice', { hidden: true });
    });

    await j.step('the invoice issued: 已完成, 已开票 with its number', async () => {
      await invoiceSend(j.hall);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#order-loading', { hidden: true });
      await waitText(page, '#order-facts', '已完成');
      const facts = await waitText(page, '#einvoice-facts', '已开票');
      for (const want of ['发票代码', '发票号码', '价税合计']) assert(facts.includes(want), `电子发票 shows ${want}: ${facts}`);
      await page.waitForSelector('#einvoice-download a', { visible: true });
    });

    await j.step('下载发票: a PDF saved as an attachment', async () => {
      const href = await page.$eval('#einvoice-download a', (a) => a.href);
      const got = await download(j, () => click(page, '#einvoice-download a'));
      assertEqual(got.url, href, 'downloaded from the link');
      assertEqual(got.response.status, 200, 'the answer');
      assert(/^application\/pdf/.test(got.response.type), `a PDF: ${got.response.type}`);
      assert(/^attachment/.test(got.response.disposition), `saved, not shown: ${got.response.disposition}`);
      assertEqual(got.bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'the file begins as a PDF');
    });

    await j.step('我的申请 lists the draft to continue', async () => {
      await visit(j, '/applications.html');
      await waitText(page, '#apps-title', '我的申请');
      await page.waitForSelector('#apps-loading', { hidden: true });
      const list = await waitText(page, '#apps-list', DRAFT);
      assert(list.includes('填写中'), `its state: ${list}`);
    });

    await j.step('下载中心: a form listed and downloaded, its SHA-256 as shown', async () => {
      await visit(j, '/downloads.html');
      await waitText(page, '#downloads-title', '下载中心');
      await page.waitForSelector('#dl-loading', { hidden: true });
      const row = await page.waitForSelector('xpath///tr[contains(., "数字证书申请责任书")]');
      const sha = await row.$eval('.sha-full', (c) => c.textContent.trim());
      assert(/^[0-9a-f]{64}$/.test(sha), `the page shows the SHA-256: ${sha}`);
      const got = await download(j, () => row.$eval('a[download]', (a) => a.click()));
      assertEqual(got.response.status, 200, 'the answer');
      assert(/^application\/pdf/.test(got.response.type), `a PDF: ${got.response.type}`);
      assertEqual(got.saved, '数字证书申请责任书.pdf', 'the name it is saved under');
      assertEqual(got.sha256, sha, 'the file\'s SHA-256');
    });
  },
}];
