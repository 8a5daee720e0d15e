// Journey (accessibility): one order from login to 订单提交 with the keyboard
// only (page.keyboard: Tab, Shift+Tab, Enter, Space, arrows, typing; no
// mouse, no element.click(), no focus() call): 登录 by password, 在线办理,
// 新办 个人证书 (terms agreed, project chosen from the list by arrows),
// 基本信息, the three files chosen through their pickers (opened with the
// key, the file given to the dialog, as a keyboard user does), 开票信息,
// 受理点自取 and 提交订单. At each control the focus is asserted
// (document.activeElement) and seen (an outline or a shadow, on the hidden
// file input's 点击上传 label). The only address typed is login.html's.
import { verifiedAccount, scratch, scan } from './lib/applicant.mjs';
import { focused, reach, typeInto, pressAndGo, arrowTo, chooseFile } from './lib/keyboard.mjs';
import { waitText, visit, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270064';
const PASSWORD = 'Keys5er2027';
const NAME = '周九';
const ID = '430102199001011238';

export const journeys = [{
  name: 'keyboard',
  async run(j) {
    const files = await scratch('keyboard');
    try {
      await verifiedAccount(j.hall, PHONE, PASSWORD, NAME, ID);
      await keyboard(j, j.page, files.dir);
    } finally {
      await files.remove();
    }
  },
}];

async function keyboard(j, page, dir) {
  const K = page.keyboard;
  const seen = [];   // where the focus was, for the run's diagnostics
  const at = async (sel, most) => { const f = await reach(page, sel, most); seen.push(`${f.what} (${f.presses} Tab)`); return f; };

  await j.step('登录: Tab to 手机号, type, Tab to 密码, type, Enter', async () => {
    await visit(j, '/login.html');
    await page.waitForSelector('#lp-phone', { visible: true });
    await typeInto(page, '#lp-phone', PHONE);
    await K.press('Tab');
    assertEqual((await focused(page)).what, 'input#lp-password[name=password]', 'Tab after 手机号');
    await K.type(PASSWORD);
    await pressAndGo(page, 'Enter');
    await waitText(page, '#account-nav', '欢迎您');
  });

  await j.step('the header\'s 在线办理 reached with Tab, its ring drawn, Enter opens it', async () => {
    await at('header a[href="/apply.html"]');
    await pressAndGo(page, 'Enter');
    assertEqual(new URL(page.url()).pathname, '/apply.html', 'the page');
    await page.waitForSelector('#apply-form', { visible: true });
  });

  await j.step('新办 with Space, the terms agreed with Space, a project by arrows, 个人证书 by arrow', async () => {
    await at('#svc-new');
    await K.press('Space');
    assert(await page.$eval('#svc-new', (e) => e.checked), '证书新办 is chosen');
    await page.waitForSelector('#new-fields', { visible: true });
    await at('#apply-agree-terms');
    await K.press('Space');
    assert(await page.$eval('#apply-agree-terms', (e) => e.checked), 'the terms are agreed');
    await at('#apply-project');
    for (let i = 0; i < 10 && (await page.$eval('#apply-project', (e) => e.value)) !== 'changsha_ggzy'; i++) await K.press('ArrowDown');
    assertEqual(await page.$eval('#apply-project', (e) => e.value), 'changsha_ggzy', 'the project chosen by arrows');
    await page.waitForFunction(() => !document.getElementById('ct-personal').disabled);
    await at('#ct-org, #ct-personal');
    await arrowTo(page, '#ct-personal');
    await waitText(page, '#apply-price', '个人证书-新办');
    const f = await focused(page);
    assert(f.ring, `个人证书 shows its focus: ${JSON.stringify(f)}`);
    // and its card, not only the small radio
    const card = await page.$eval('#ct-personal', (e) => getComputedStyle(e.closest('.choice')).boxShadow);
    assert(card !== 'none' && /rgb\(240, 180, 41\)/.test(card), `个人证书's card is ringed: ${card}`);
  });

  await j.step('Shift+Tab goes back to the project, Tab forward again; Enter on 下一步 opens 基本信息', async () => {
    await K.down('Shift');
    await K.press('Tab');
    await K.up('Shift');
    assertEqual((await focused(page)).what, 'select#apply-project[name=project]', 'Shift+Tab from the certificate type');
    await at('#apply-submit');
    await pressAndGo(page, 'Enter');
    await waitText(page, '#info-title', '基本信息');
    await page.waitForSelector('#info-personal', { visible: true });
  });

  await j.step('基本信息: 手机号码 and 电子邮箱 typed, Enter saves: 资料上传', async () => {
    assertEqual(await page.$eval('#in-name', (e) => e.value), NAME, '姓名 filled in');
    await typeInto(page, '#in-mobile', PHONE);
    await typeInto(page, '#in-email', 'zhoujiu@example.com');
    await K.press('Enter');
    await waitText(page, '#materials-title', '资料上传');
    await page.waitForSelector('#step-2', { visible: true });
  });

  for (const [kind, w, h] of [['application_form', 1240, 1754], ['id_front', 1000, 630], ['id_back', 1000, 630]]) {
    await j.step(`${kind}: its picker reached with Tab (the 点击上传 label ringed), opened with Space`, async () => {
      const file = await scan(dir, `${kind}.jpg`, 'jpg', 'color', w, h);
      const f = await at(`#mat-${kind}-input`);
      assert(/^label: /.test(f.how), `the focus is drawn on the 点击上传 label: ${f.how}`);
      await chooseFile(page, file);
      await waitText(page, `#mat-${kind}-status`, /已上传/);
    });
  }

  await j.step('下一步：开票信息 with Enter; a 个人 title: its fields typed, Enter saves: 订单提交', async () => {
    await page.waitForFunction(() => !document.getElementById('materials-next').disabled);
    await at('#materials-next');
    await K.press('Enter');
    await waitText(page, '#invoice-title', '开票信息');
    await at('#iv-type-org, #iv-type-personal');
    await arrowTo(page, '#iv-type-personal');
    await typeInto(page, '#iv-title', NAME);
    await typeInto(page, '#iv-email', 'zhoujiu@example.com');
    await typeInto(page, '#iv-mobile', PHONE);
    await K.press('Enter');
    await waitText(page, '#submit-title', '订单提交');
  });

  await j.step('订单提交: 责任书 agreed with Space, 受理点自取 by arrow, a 受理点 with Space, Enter submits: 待支付', async () => {
    await at('#sb-agree');
    await K.press('Space');
    assert(await page.$eval('#sb-agree', (e) => e.checked), 'the 责任书 is agreed');
    await at('#sb-express, #sb-pickup');
    await arrowTo(page, '#sb-pickup', 'ArrowRight');
    await page.waitForSelector('#pickup-panel', { visible: true });
    await at('#pickup-list input[name=pickup_point]');
    await K.press('Space');
    const point = await page.evaluate(() => document.activeElement.checked && document.activeElement.value);
    assert(point, 'a 受理点 is chosen');
    await at('#submit-form button[type=submit]');
    await pressAndGo(page, 'Enter');
    assertEqual(new URL(page.url()).pathname, '/order.html', 'the page');
    await page.waitForSelector('#order-loading', { hidden: true });
    await waitText(page, '#order-facts', '待支付');
    await waitText(page, '#delivery-facts', '受理点自取');
    j.tap.diag(`  focus went: ${seen.join(' → ')}`);
  });
}
