// Journey (e, continued): 延期 / 解锁 / 补办 for an applicant WITH
// certificates (made by SQL as sql/demo.sql makes the demo's, lib/order.mjs),
// one for each of the seeds' rules as certificate_refusal() decides them:
//   A  湘潭 单位, 20 days left, not ordered here: 延期 and 解锁, not 补办
//      (在线补办业务只适用已在本系统申请过的证书订单)
//   B  国资云 单位, 400 days left, ordered here: 解锁 and 补办, not 延期
//      (到期前30天内方可申请延期)
//   C  湖南政府采购 个人, expired 4 months ago: nothing (已过期超过3个月 /
//      已过期，不能解锁 / 已过期，不能补办)
// Each service lists every certificate, the eligible ones can be chosen,
// the others are shown disabled with their reason; an order is started for
// one of each service and, once started, the certificate names its open order.
import { verifiedAccount } from './lib/applicant.mjs';
import { certificates } from './lib/order.mjs';
import { click, waitText, loginByPassword, visit, submitAndGo, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270061';
const PASSWORD = 'Certs5er2027';
const NAME = '李四';
const ID = '430102199001011238';
const A = 'BE0000006101', B = 'BE0000006102', C = 'BE0000006103';
const CERTS = [
  { serial: A, project: 'xiangtan_ggzy', type: 'org', name: '湖南延期测试有限公司', validFrom: '-345 days', validTo: '20 days' },
  { serial: B, project: 'guoziyun_ygcg', type: 'org', name: '湖南补办测试有限公司', validFrom: '-330 days', validTo: '400 days', orderedHere: true },
  { serial: C, project: 'hunan_ccgp', type: 'personal', name: NAME, validFrom: '-16 months', validTo: '-4 months' },
];

// what the page shows of each certificate: { serial: { id, disabled, text } }
async function shown(page) {
  const items = await page.$$eval('#cert-list .cert-item', (l) => l.map((d) => {
    const i = d.querySelector('input[name=certificate]');
    return { id: i.id, disabled: i.disabled, text: d.innerText.trim() };
  }));
  return Object.fromEntries(items.map((c) => [c.text.match(/序列号 (\w+)/)?.[1], c]));
}

async function applyPage(j) {
  await visit(j, '/apply.html');
  await j.page.waitForSelector('#apply-form', { visible: true });
}

async function service(page, name, hint) {
  await click(page, `label[for="svc-${name}"]`);
  await waitText(page, '#cert-hint', hint);
  await page.waitForSelector('#cert-list .cert-item');
  const certs = await shown(page);
  assertEqual(Object.keys(certs).sort().join(' '), [A, B, C].join(' '), 'the certificates listed');
  return certs;
}

function offered(certs, serial, line) {
  assert(!certs[serial].disabled, `${serial} can be chosen: ${certs[serial].text}`);
  assert(certs[serial].text.includes(line), `${serial} says ${line}: ${certs[serial].text}`);
}

function refused(certs, serial, line) {
  assert(certs[serial].disabled, `${serial} cannot be chosen: ${certs[serial].text}`);
  assert(certs[serial].text.includes(line), `${serial} says why: ${line}: ${certs[serial].text}`);
}

// choose the certificate, agree to the terms, 下一步: the new order's 基本信息
async function start(j, serial, what) {
  const page = j.page;
  const certs = await shown(page);
  await click(page, `label[for="${certs[serial].id}"]`);
  assert(await page.$eval(`#${certs[serial].id}`, (e) => e.checked), `${serial} is chosen`);
  if (!(await page.$eval('#apply-agree-terms', (e) => e.checked))) await click(page, 'label[for="apply-agree-terms"]');
  await waitText(page, '#apply-price', new RegExp(`费用：.*${what}`));
  await submitAndGo(page, '#apply-submit');
  assertEqual(new URL(page.url()).pathname, '/order-edit.html', 'the page');
  await waitText(page, '#info-title', '基本信息');
  const business = await waitText(page, '#edit-business', what);
  j.tap.diag(`  ${business}`);
  const id = new URL(page.url()).searchParams.get('id');
  assert(/^UO\d{18}$/.test(id), `a new order: ${id}`);
  return id;
}

export const journeys = [{
  name: 'certificates',
  async run(j) {
    const page = j.page;
    await verifiedAccount(j.hall, PHONE, PASSWORD, NAME, ID);
    await certificates(j.hall, PHONE, CERTS);
    const started = {};

    await j.step('延期: the certificate within its window can be chosen, the others say why not', async () => {
      await loginByPassword(j, PHONE, PASSWORD);
      await applyPage(j);
      const certs = await service(page, 'renew', '证书即将过期或已过期3个月内可申请延期');
      offered(certs, A, '延期：可办理');
      assert(certs[A].text.includes('证书剩余天数：20'), `its remaining days: ${certs[A].text}`);
      refused(certs, B, '延期：不可办理（证书有效期还剩400天，到期前30天内方可申请延期）');
      refused(certs, C, '延期：不可办理（证书已过期超过3个月，不能延期，请申请证书新办）');
      await page.waitForSelector('#cert-status', { hidden: true });
    });

    await j.step('延期 of the expiring certificate: the order starts at 基本信息', async () => {
      started.renew = await start(j, A, '延期');
    });

    await j.step('解锁: the valid certificates can be chosen; the expired one cannot, and the renewed one names its order', async () => {
      await applyPage(j);
      const certs = await service(page, 'unlock', '证书密码遗忘或多次尝试密码导致被锁');
      offered(certs, B, '解锁：可办理');
      refused(certs, C, '解锁：不可办理（证书已过期，不能解锁；请申请证书延期）');
      refused(certs, A, '解锁：不可办理（有办理中的订单）');
      assert(certs[A].text.includes(`该证书已有办理中的订单 ${started.renew}`), `A names its open order: ${certs[A].text}`);
    });

    await j.step('解锁 of the valid certificate: the order starts at 基本信息', async () => {
      started.unlock = await start(j, B, '解锁');
    });

    await j.step('补办: only a certificate of this hall, still valid, can be chosen; each other says why', async () => {
      await applyPage(j);
      const certs = await service(page, 'replace', '只有在本系统办理过的证书可以补办，且须在有效期内');
      refused(certs, C, '补办：不可办理（证书已过期，不能补办；请申请证书延期或新办）');
      // A: the rule is said before its open 延期 order
      refused(certs, A, '补办：不可办理（在线补办业务只适用已在本系统申请过的证书订单，请到受理点办理补办）');
      // B, ordered here and valid, has its 解锁 order open now: one order a certificate
      refused(certs, B, '补办：不可办理（有办理中的订单）');
      assert(certs[B].text.includes(`该证书已有办理中的订单 ${started.unlock}`), `B names its open order: ${certs[B].text}`);
    });

    await j.step('取消该订单 of the 解锁 order: B can be chosen for 补办, the order starts', async () => {
      page.once('dialog', (d) => d.accept());
      const certs = await shown(page);
      await click(page, `#open-order-${certs[B].id.replace('cert-', '')} .open-order-cancel`);
      await waitText(page, '#cert-flash', `订单 ${started.unlock} 已取消，现在可以为该证书办理业务。`);
      offered(await shown(page), B, '补办：可办理');
      started.replace = await start(j, B, '补办');
    });

    await j.step('我的申请 lists the orders started, 填写中', async () => {
      await visit(j, '/applications.html');
      const list = await waitText(page, '#apps-list', started.replace);
      assert(list.includes(started.renew), `the 延期 order: ${list}`);
      j.tap.diag(`  我的申请: ${list.replace(/\n/g, ' | ')}`);
    });
  },
}];
