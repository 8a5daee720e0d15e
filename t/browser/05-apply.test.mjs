// Journey (e): a verified applicant without a certificate applies online
// (the seeds' 在线办理): 延期 / 解锁 / 补办 refused with the reason shown;
// 新办 of a 单位证书 (project, terms agreed), 基本信息 with the errors beside
// the fields, 资料上传 (progress, thumbnail, a replace, the refusals of a
// grey scan, a .txt renamed .jpg and a file over 2 MiB), the printable
// 申请表, 开票信息 with the title saved, the delivery address, and 订单提交
// landing in 待支付. The scans are made by build/bin/mkscan at run time.
import { verifiedAccount, scratch, scan, textFile } from './lib/applicant.mjs';
import { fill, fillForm, click, waitText, textOf, loginByPassword, visit, submitAndGo,
         fieldErrorOf, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270051';
const PASSWORD = 'Apply5er2027';
const NAME = '王五';
const ID = '430102199001011238';
const ORG = '长沙浏览器测试有限公司';
const USCC = '91350100M000100Y43';
const LEGAL_ID = '110101199003077758';

async function chooseService(page, service) {
  await click(page, `label[for="svc-${service}"]`);
}

// a material's <li>: its status, error and file shown
async function upload(page, kind, file) {
  const input = await page.waitForSelector(`#mat-${kind}-input`);
  await input.uploadFile(file);
}

export const journeys = [{
  name: 'apply',
  async run(j) {
    const page = j.page;
    const files = await scratch('apply');
    try {
      await verifiedAccount(j.hall, PHONE, PASSWORD, NAME, ID);
      await apply(j, page, files.dir);
    } finally {
      await files.remove();
    }
  },
}];

async function apply(j, page, dir) {
  await j.step('在线办理: 延期 without a certificate says there is none to renew', async () => {
    await loginByPassword(j, PHONE, PASSWORD);
    await visit(j, '/apply.html');
    await page.waitForSelector('#apply-form', { visible: true });
    await chooseService(page, 'renew');
    await waitText(page, '#cert-hint', '证书即将过期或已过期3个月内可申请延期');
    await waitText(page, '#cert-status', '您名下暂无可办理延期、解锁或补办的证书。');
    assertEqual(await page.$$eval('#cert-list input', (l) => l.length), 0, 'certificates offered');
    await page.waitForSelector('#new-fields', { hidden: true });
  });

  for (const [service, hint] of [['unlock', '证书密码遗忘或多次尝试密码导致被锁'],
                                 ['replace', '只有在本系统办理过的证书可以补办，且须在有效期内']]) {
    await j.step(`在线办理: ${service === 'unlock' ? '解锁' : '补办'} without a certificate is refused with its reason`, async () => {
      await chooseService(page, service);
      await waitText(page, '#cert-hint', hint);
      await waitText(page, '#cert-status', '您名下暂无可办理延期、解锁或补办的证书。');
      assertEqual(await page.$$eval('#cert-list input', (l) => l.length), 0, 'certificates offered');
    });
  }

  await j.step('新办: the 单位证书 waits for the terms, then a project and its price', async () => {
    await chooseService(page, 'new');
    await page.waitForSelector('#new-fields', { visible: true });
    assert(await page.$eval('#ct-org', (e) => e.disabled), '单位证书 cannot be chosen before the terms are agreed');
    await waitText(page, '#ct-terms-hint', '请先阅读并同意上方的《用户申请条款》');
    const project = await page.$$eval('#apply-project option', (os) => os.map((o) => o.value).filter(Boolean)[0]);
    assert(project, 'a project is offered');
    await page.select('#apply-project', project);
    await click(page, 'label[for="apply-agree-terms"]');
    await page.waitForFunction(() => !document.getElementById('ct-org').disabled);
    await click(page, 'label[for="ct-org"]');
    await waitText(page, '#apply-price', /费用：.*单位证书/);
  });

  await j.step('下一步 opens the new order at 基本信息', async () => {
    await submitAndGo(page, '#apply-submit');
    assertEqual(new URL(page.url()).pathname, '/order-edit.html', 'the page');
    await waitText(page, '#info-title', '基本信息');
    await page.waitForSelector('#info-org', { visible: true });
  });

  await j.step('基本信息 submitted empty: each required field says so beside it', async () => {
    for (const sel of ['#in-org-name', '#in-uscc', '#in-legal-name', '#in-legal-id', '#in-handler', '#in-mobile', '#in-email']) {
      await fill(page, sel, '');
    }
    await click(page, '#info-form button[type=submit]');
    await waitText(page, '#in-org-name-error', /./);
    for (const sel of ['#in-org-name', '#in-uscc', '#in-legal-name', '#in-legal-id']) {
      const e = await fieldErrorOf(page, sel);
      assert(e.invalid && e.said.length > 0, `${sel} is marked and says why: ${JSON.stringify(e)}`);
    }
  });

  await j.step('a bad 统一社会信用代码 and a bad ID number are refused beside their fields', async () => {
    await fillForm(page, { '#in-org-name': ORG, '#in-uscc': '91350100M000100Y44', '#in-legal-name': NAME,
                           '#in-legal-id': '110101199003077750', '#in-handler': NAME,
                           '#in-mobile': PHONE, '#in-email': 'apply@example.com' });
    await click(page, '#info-form button[type=submit]');
    const uscc = await waitText(page, '#in-uscc-error', /统一社会信用代码/);
    const id = await waitText(page, '#in-legal-id-error', /身份证/);
    j.tap.diag(`  errors shown: ${uscc} / ${id}`);
    assertEqual((await fieldErrorOf(page, '#in-org-name')).invalid, false, '单位名称 is accepted');
  });

  await j.step('corrected, 保存，下一步 leads to 资料上传', async () => {
    await fillForm(page, { '#in-uscc': USCC, '#in-legal-id': LEGAL_ID });
    await click(page, '#info-form button[type=submit]');
    await waitText(page, '#materials-title', '资料上传');
    await page.waitForSelector('#step-2', { visible: true });
    const kinds = await page.$$eval('#materials li.material', (ls) => ls.map((l) => l.id + ':' + l.innerText.split('\n')[0]));
    j.tap.diag(`  materials: ${kinds.join(', ')}`);
  });
}
