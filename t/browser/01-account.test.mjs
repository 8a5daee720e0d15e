// Journey (a): a new applicant registers with the code the SMS gateway
// double received, logs out, logs in by password, logs out, logs in by an
// SMS code, logs out, and logs in again with the keyboard only. Phones
// 1370027xxxx are this suite's own.
import { smsCode, smsSeen, sql } from './lib/hall.mjs';
import { WAIT } from './lib/browser.mjs';
import { fill, fillForm, click, waitText, textOf, visit, submitAndGo, fieldErrorOf, tabTo, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270001';
const PASSWORD = 'Brow5er2027';
const MASKED = /137\*{4}0001|13700270001/;

// a login ends on the account page, which shows whose it is
async function loggedIn(page) {
  assertEqual(new URL(page.url()).pathname, '/account.html', 'after 登录 the page');
  await waitText(page, '#me-phone', MASKED);
}

// the header's 退出 (nav.js), which ends the session and shows login.html
async function logout(journey) {
  const page = journey.page;
  await submitAndGo(page, '#nav-logout');
  assertEqual(new URL(page.url()).pathname, '/login.html', 'after 退出 the page');
  await waitText(page, '#login-title', '登录');
  await page.waitForSelector('#nav-logout', { hidden: true });
}

export const journeys = [{
  name: 'account',
  async run(j) {
    const page = j.page;
    let seen = 0;

    await j.step('注册: the code is sent to the phone', async () => {
      await visit(j, '/register.html');
      await waitText(page, '#register-title', '注册账号');
      seen = await smsSeen(j.hall);
      await fill(page, '#reg-phone', PHONE);
      await click(page, '#reg-send-code');
      await waitText(page, '#reg-code-status', '验证码已发送至');
      await waitText(page, '#reg-send-code', /秒后重新获取/);
    });

    await j.step('注册: a wrong code is refused beside the field', async () => {
      const { code } = await smsCode(j.hall, PHONE, { after: seen });
      const wrong = code === '000000' ? '111111' : '000000';
      await fillForm(page, { '#reg-password': PASSWORD, '#reg-code': wrong });
      await click(page, '#register-form button[type=submit]');
      await waitText(page, '#reg-code-error', /验证码错误，还可尝试\d+次/);
      assert(new URL(page.url()).pathname === '/register.html', 'stays on register.html');
      const err = await fieldErrorOf(page, '#reg-code');
      assert(err.invalid && /验证码错误/.test(err.said),
             `the code field is marked invalid and describes its error: ${JSON.stringify(err)}`);
    }, { expect: [{ status: 400, url: /\/api\/accounts$/ }] });

    await j.step('注册: the code from the SMS leads to the account page', async () => {
      const { code, text } = await smsCode(j.hall, PHONE, { after: seen });
      assert(/验证码/.test(text), `the SMS says what it is: ${text}`);
      await fill(page, '#reg-code', code);
      await submitAndGo(page, '#register-form button[type=submit]');
      assertEqual(new URL(page.url()).pathname, '/account.html', 'after 注册 the page');
      await waitText(page, '#flash', '注册成功');
      await waitText(page, '#me-phone', MASKED);
      await waitText(page, '#me-realname', '未');
      await waitText(page, '#account-nav', /欢迎您，/);
    });

    await j.step('退出 from the header', async () => logout(j));

    await j.step('登录 by password: a wrong password is refused', async () => {
      await fillForm(page, { '#lp-phone': PHONE, '#lp-password': 'Wrong0password' });
      await click(page, '#login-password-form button[type=submit]');
      await waitText(page, '#lp-error', /密码/);
      assertEqual(new URL(page.url()).pathname, '/login.html', 'a refused login stays on');
    }, { expect: [{ status: 401, url: /\/api\/session$/ }] });

    await j.step('登录 by password', async () => {
      await fill(page, '#lp-password', PASSWORD);
      await submitAndGo(page, '#login-password-form button[type=submit]');
      await loggedIn(page);
      await waitText(page, '#account-nav', /欢迎您，/);
    });

    await j.step('退出 again', async () => logout(j));

    await j.step('登录 by SMS code', async () => {
      // the resend interval (60 s a phone) passes: the clock is moved, not waited for
      await sql(j.hall, `UPDATE sms_requests SET created_at = created_at - interval '2 minutes' WHERE phone = '${PHONE}'`);
      await fill(page, '#lp-phone', PHONE);
      await click(page, '#tab-sms');
      await page.waitForSelector('#panel-sms:not([hidden])');
      assertEqual(await page.$eval('#ls-phone', (e) => e.value), PHONE, 'the phone typed on the other tab');
      seen = await smsSeen(j.hall);
      await click(page, '#ls-send-code');
      await waitText(page, '#ls-code-status', '验证码已发送至');
      const { code } = await smsCode(j.hall, PHONE, { after: seen });
      await fill(page, '#ls-code', code);
      await submitAndGo(page, '#login-sms-form button[type=submit]');
      await loggedIn(page);
    });

    await j.step('退出登录 on the account page', async () => {
      await submitAndGo(page, '#logout');
      assertEqual(new URL(page.url()).pathname, '/login.html', 'after 退出登录 the page');
      await visit(j, '/account.html');
      await page.waitForFunction(() => location.pathname === '/login.html', { timeout: WAIT });
    });

    await j.step('登录 by keyboard only: Tab to the fields, Enter to send', async () => {
      await visit(j, '/login.html');
      await waitText(page, '#login-title', '登录');
      await tabTo(page, '#lp-phone');
      await page.keyboard.type(PHONE);
      await page.keyboard.press('Tab');
      assert(await page.evaluate(() => document.activeElement?.id === 'lp-password'),
             'Tab from 手机号 goes to 登录密码');
      await page.keyboard.type(PASSWORD);
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.keyboard.press('Enter')]);
      await loggedIn(page);
    });

    await j.step('找回密码 while logged in: the header says who, with 退出, not 登录/注册', async () => {
      await visit(j, '/reset-password.html');
      await waitText(page, '#account-nav', /欢迎您，/);
      await page.waitForSelector('#nav-logout', { visible: true });
      const nav = await textOf(page, '#account-nav');
      assert(MASKED.test(nav) && !/登录|注册/.test(nav), `the header: ${nav}`);
    });
  },
}];
