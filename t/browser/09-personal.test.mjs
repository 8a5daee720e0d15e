// Journey (e, 个人证书): a verified applicant applies for a 个人证书 新办:
// 基本信息 asks for 姓名 and 身份证号码 (filled in from the 实名认证), not for
// a 单位's fields; 资料上传 asks for 申请表 and the 身份证 sides only, not
// for 营业执照 / 法人身份证 / 电子签章采集表 / 申请责任书; 开票信息 with a 个人
// title needs no 纳税人识别号; 订单提交 with 领取方式 受理点自取 and a 受理点
// chosen, which the order then shows.
import { verifiedAccount, scratch, scan } from './lib/applicant.mjs';
import { materialNames, uploadMaterial } from './lib/materials.mjs';
import { fillForm, click, waitText, loginByPassword, visit, submitAndGo, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270062';
const PASSWORD = 'Person5er2027';
const NAME = '钱七';
const ID = '430102199001011238';
const PROJECT = 'changsha_ggzy';
const POINT = { code: 'xiangtan', name: '湘潭市公共资源交易中心服务窗口', address: '湖南省湘潭市岳塘区芙蓉中路1号' };

export const journeys = [{
  name: 'personal',
  async run(j) {
    const files = await scratch('personal');
    try {
      await verifiedAccount(j.hall, PHONE, PASSWORD, NAME, ID);
      await personal(j, j.page, files.dir);
    } finally {
      await files.remove();
    }
  },
}];

async function personal(j, page, dir) {
  await j.step('新办 个人证书: a project, the terms agreed, its price', async () => {
    await loginByPassword(j, PHONE, PASSWORD);
    await visit(j, '/apply.html');
    await page.waitForSelector('#apply-form', { visible: true });
    await click(page, 'label[for="svc-new"]');
    await page.select('#apply-project', PROJECT);
    await click(page, 'label[for="apply-agree-terms"]');
    await page.waitForFunction(() => !document.getElementById('ct-personal').disabled);
    await click(page, 'label[for="ct-personal"]');
    await waitText(page, '#apply-price', /费用：¥\d+\.\d\d（长沙市公共资源交易中心 个人证书-新办/);
  });

  await j.step('基本信息 of a 个人证书: 姓名 and 身份证号码 from the 实名认证, no 单位 fields', async () => {
    await submitAndGo(page, '#apply-submit');
    await waitText(page, '#info-title', '基本信息');
    await page.waitForSelector('#info-personal', { visible: true });
    await page.waitForSelector('#info-org', { hidden: true });
    const labels = await page.$$eval('#info-form label', (ls) => ls.filter((l) => l.offsetParent).map((l) => l.textContent.trim()));
    assertEqual(labels.join(' '), '姓名 身份证号码 手机号码 电子邮箱', 'the fields asked for');
    assertEqual(await page.$eval('#in-name', (e) => e.value), NAME, '姓名 filled in');
    assertEqual(await page.$eval('#in-id', (e) => e.value), ID, '身份证号码 filled in');
    await waitText(page, '#info-prefill', /已根据.*自动填写.*姓名、身份证号码/);
    await waitText(page, '#edit-business', '个人证书-新办');
  });

  await j.step('保存，下一步: 资料上传 asks for the 申请表 and the ID card only', async () => {
    await fillForm(page, { '#in-mobile': PHONE, '#in-email': 'qianqi@example.com' });
    await click(page, '#info-form button[type=submit]');
    await waitText(page, '#materials-title', '资料上传');
    await page.waitForSelector('#step-2', { visible: true });
    const names = await materialNames(page);
    j.tap.diag(`  materials: ${names.join(', ')}`);
    assertEqual(await page.$$eval('#materials li.material', (l) => l.map((e) => e.id).join(' ')),
                'mat-application_form mat-id_front mat-id_back', 'the materials asked for');
    const text = await page.$eval('#materials', (e) => e.innerText);
    for (const no of ['营业执照', '法人身份证', '电子签章采集表', '申请责任书']) {
      assert(!text.includes(no), `a 个人证书 asks for no ${no}: ${text}`);
    }
  });

  await j.step('the three files uploaded: 下一步 is no longer held back', async () => {
    for (const [kind, w, h] of [['application_form', 1240, 1754], ['id_front', 1000, 630], ['id_back', 1000, 630]]) {
      const file = await scan(dir, `${kind}.jpg`, 'jpg', 'color', w, h);
      await uploadMaterial(page, kind, file);
    }
    await page.waitForSelector('#materials-missing', { hidden: true });
    await page.waitForFunction(() => !document.getElementById('materials-next').disabled);
  });

  await j.step('开票信息: a 个人 title, the applicant\'s name, no 纳税人识别号 needed', async () => {
    await click(page, '#materials-next');
    await waitText(page, '#invoice-title', '开票信息');
    await click(page, 'label[for="iv-type-personal"]');
    await fillForm(page, { '#iv-title': NAME, '#iv-email': 'qianqi@example.com', '#iv-mobile': PHONE });
    await click(page, '#invoice-form button[type=submit]');
    await waitText(page, '#submit-title', '订单提交');
    await waitText(page, '#summary', '个人证书-新办');
  });

  await j.step('领取方式 受理点自取: the 受理点 listed with address and hours; one chosen', async () => {
    await click(page, 'label[for="sb-pickup"]');
    await page.waitForSelector('#pickup-panel', { visible: true });
    await page.waitForSelector('#express-panel', { hidden: true });
    const list = await waitText(page, '#pickup-list', POINT.name);
    assert(list.includes('湖南CA长沙受理点') && list.includes(POINT.address) && /工作日/.test(list),
           `the points, their address and hours: ${list}`);
    await click(page, `label[for="pp-${POINT.code}"]`);
    assert(await page.$eval(`#pp-${POINT.code}`, (e) => e.checked), 'the 受理点 is chosen');
    await click(page, '#sb-agree');
  });

  await j.step('提交订单: the order, 待支付, says 受理点自取 and the 受理点', async () => {
    await submitAndGo(page, '#submit-form button[type=submit]');
    assertEqual(new URL(page.url()).pathname, '/order.html', 'the page');
    await page.waitForSelector('#order-loading', { hidden: true });
    const facts = await waitText(page, '#order-facts', '待支付');
    assert(facts.includes('个人证书-新办'), `the order is a 个人证书 新办: ${facts}`);
    const delivery = await waitText(page, '#delivery-facts', POINT.name);
    assert(/领取方式\s*受理点自取/.test(delivery), `领取方式 受理点自取: ${delivery}`);
    assert(/受理点\s*湘潭市公共资源交易中心服务窗口/.test(delivery), `the 受理点 chosen: ${delivery}`);
    j.tap.diag(`  ${facts.replace(/\n/g, ' | ')}`);
    j.tap.diag(`  ${delivery.replace(/\n/g, ' | ')}`);
  });
}
