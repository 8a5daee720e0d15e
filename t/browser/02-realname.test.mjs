// Journey (b): 实名认证 of a new account, the provider played by
// t/bin/realname-callback (the README's local steps): a refusal first,
// then a pass; the account page says what happened without a reload.
import { newAccount } from './lib/accounts.mjs';
import { realnameResult } from './lib/hall.mjs';
import { fillForm, click, waitText, textOf, loginByPassword, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270002';
const PASSWORD = 'Brow5er2027';
const NAME = '李四';
const ID = '430102199001011238';

async function requestId(page) {
  const id = await waitText(page, '#ra-request-id', /^RN\S+$/);
  return id.trim();
}

export const journeys = [{
  name: 'realname',
  async run(j) {
    const page = j.page;
    await newAccount(j.hall, PHONE, PASSWORD);

    await j.step('登录: the account page asks for 实名认证', async () => {
      await loginByPassword(j, PHONE, PASSWORD);
      assertEqual(new URL(page.url()).pathname, '/account.html', 'after 登录 the page');
      await waitText(page, '#me-realname', '未认证');
      await waitText(page, '#ra-title', '实名认证');
    });

    await j.step('a wrong ID number is refused beside the field', async () => {
      await fillForm(page, { '#ra-name': NAME, '#ra-id': '430102199001011230' });
      await click(page, '#realname-form button[type=submit]');
      const said = await waitText(page, '#ra-id-error', /身份证/);
      assert(said.length > 0, 'the field says why');
      const invalid = await page.$eval('#ra-id', (e) => e.getAttribute('aria-invalid'));
      assertEqual(invalid, 'true', 'the field is marked invalid (aria-invalid)');
    });

    let rn;
    await j.step('下一步：微信扫码认证 shows the QR code and the request id', async () => {
      await fillForm(page, { '#ra-id': ID });
      await click(page, '#realname-form button[type=submit]');
      await waitText(page, '#ra-qr-title', '请使用手机微信扫描二维码');
      await page.waitForSelector('#ra-qr-code svg, #ra-qr-code canvas, #ra-qr-code img, #ra-qr-code table', { visible: true });
      await waitText(page, '#ra-qr-status', '等待扫码认证');
      // the badge follows the request: no longer 未认证 while the QR code waits
      await waitText(page, '#me-realname', '认证中');
      rn = await requestId(page);
    });

    await j.step('the provider refuses: the page says why and offers a new try', async () => {
      const out = await realnameResult(j.hall, rn, 'fail', '人脸比对未通过');
      assert(/^200 /.test(out), `the callback was taken: ${out}`);
      await waitText(page, '#ra-notice', /人脸比对未通过/);
      await page.waitForSelector('#ra-qr', { hidden: true });
      await page.waitForSelector('#realname-form', { visible: true });
      await waitText(page, '#me-realname', '未认证');
    });

    await j.step('submitted again and passed: 已认证 with the name, the number masked', async () => {
      await fillForm(page, { '#ra-name': NAME, '#ra-id': ID });
      await click(page, '#realname-form button[type=submit]');
      await waitText(page, '#ra-qr-status', '等待扫码认证');
      const again = await requestId(page);
      assert(again !== rn, 'a new request id');
      const out = await realnameResult(j.hall, again, 'pass', NAME, ID);
      assert(/^200 /.test(out), `the callback was taken: ${out}`);
      await waitText(page, '#flash', '实名认证成功');
      await waitText(page, '#me-realname', '已认证');
      await waitText(page, '#rv-name', NAME);
      const shown = await textOf(page, '#rv-id');
      assert(!shown.includes(ID), `the ID number is masked: ${shown}`);
      assert(shown.startsWith('43') && shown.endsWith('38'), `the masked ID keeps its ends: ${shown}`);
      await page.waitForSelector('#realname-apply', { hidden: true });
    });
  },
}];
