// Journeys (f, continued): the back office's 管理员 (staff members, the
// texts applicants agree to, the 下载中心's files, the jobs, the status
// and the audit trail) and a new member's own password.  The admin's
// pages are checked against what the public website then shows
// (agreement.html, downloads.html).  Logins kefu01 are this file's.
import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { fill, fillForm, click, waitText, textOf, submitAndGo, visit, assert, assertEqual } from './lib/user.mjs';
import { staffLogin, staffLogout, staffGo, assertMenu, refusal, done } from './lib/staff.mjs';

const LOGIN = 'kefu01';
const NAME = '客服小陈';
const FIRST = 'Kefu2026start';          // the initial password the admin gives
const OWN = 'Kefu2026mine';             // the one the member then chooses
const RESET = 'Kefu2026reset';          // the admin's reset
const AMENDMENT = '第十条 本责任书自申请人同意之日起生效（2026年12月修订）。';
const FILE_TITLE = '后台操作手册（浏览器测试）';

// the member's section on 员工管理 (its forms)
const member = (login) => `section.staff-edit[data-login="${login}"]`;

async function staffRow(page, login) {
  return page.$eval(`#staff-list tr[data-login="${login}"]`, (tr) => [...tr.cells].map((c) => c.innerText.trim()));
}

export const journeys = [{
  name: 'admin',
  async run(j) {
    const page = j.page;

    await j.step('登录 as 管理员: staff, audit, agreements and downloads in the menu', async () => {
      await staffLogin(j, 'admin');
      await assertMenu(page, 'the admin', ['订单', '审计日志', '员工管理', '协议文本', '下载中心', '修改密码', '系统状态']);
    });

    await j.step('员工管理: a new member with two roles (审核员, 发货员) listed, 启用, created today as 年/月/日', async () => {
      await click(page, 'header nav a[href="/admin/staff"]');
      await waitText(page, 'main h2', '员工管理');
      await fillForm(page, {
        '#create input[name=login]': LOGIN, '#create input[name=name]': NAME,
        '#create input[name=password]': FIRST, '#create input[name=password2]': FIRST,
      });
      await click(page, '#create input[name="role.reviewer"]');
      await click(page, '#create input[name="role.shipper"]');
      await submitAndGo(page, '#create button[type=submit]');
      await done(page, '已新建员工。');
      const row = await staffRow(page, LOGIN);
      assertEqual(row[1], NAME, 'the name');
      assert(row[2].includes('审核员') && row[2].includes('发货员') && !row[2].includes('财务'), `the roles: ${row[2]}`);
      assertEqual(row[3], '启用', 'the state');
      assert(/^\d{4}年\d\d月\d\d日 \d\d:\d\d$/.test(row[5]), `创建时间 as 年/月/日: ${row[5]}`);
    });

    await j.step('the new member logs in with the initial password: the reviewer\'s and shipper\'s menu', async () => {
      await staffLogout(j);
      await staffLogin(j, LOGIN, FIRST);
      await waitText(page, '#staff', `${NAME}（${LOGIN}）`);
      await assertMenu(page, 'the new member', ['订单'], ['员工管理', '发票']);
    });

    await j.step('修改密码: a wrong current password refused', async () => {
      await click(page, 'header nav a[href="/admin/password"]');
      await fillForm(page, {
        '#password input[name=current]': 'not-my-password1', '#password input[name=password]': OWN,
        '#password input[name=password2]': OWN,
      });
      await submitAndGo(page, '#password button[type=submit]');
      assertEqual(await refusal(page), '当前密码不正确。', 'the refusal');
    }, { expect: [{ status: 422, url: /\/admin\/password$/ }] });

    await j.step('修改密码 done: 密码已修改; the new password logs in, the old one does not', async () => {
      await staffGo(j, '/admin/password');
      await fillForm(page, {
        '#password input[name=current]': FIRST, '#password input[name=password]': OWN,
        '#password input[name=password2]': OWN,
      });
      await submitAndGo(page, '#password button[type=submit]');
      await done(page, '密码已修改。');
      await staffLogout(j);
      await fillForm(page, { 'form.login input[name=login]': LOGIN, 'form.login input[name=password]': FIRST });
      await submitAndGo(page, 'form.login button[type=submit]');
      await waitText(page, '#error', '用户名或密码错误');
      await staffLogin(j, LOGIN, OWN);
      await waitText(page, '#staff', LOGIN);
      await staffLogout(j);
    }, { expect: [{ status: 401, url: /\/admin\/login$/ }] });

    await j.step('the admin resets the member\'s password and disables the account: 已停用', async () => {
      await staffLogin(j, 'admin');
      await staffGo(j, '/admin/staff');
      await fillForm(page, {
        [`${member(LOGIN)} form.staff-password input[name=password]`]: RESET,
        [`${member(LOGIN)} form.staff-password input[name=password2]`]: RESET,
      });
      await submitAndGo(page, `${member(LOGIN)} form.staff-password button[type=submit]`);
      await done(page, '已设置新密码，该员工在其他设备上的登录已退出。');
      await click(page, `${member(LOGIN)} form.staff-update input[name=active]`);
      await submitAndGo(page, `${member(LOGIN)} form.staff-update button[type=submit]`);
      await done(page, '已保存员工信息。');
      assertEqual((await staffRow(page, LOGIN))[3], '已停用', 'the state');
      assert(await page.$eval(`#staff-list tr[data-login="${LOGIN}"]`, (tr) => tr.classList.contains('inactive')), 'the row is marked inactive');
    });

    await j.step('a disabled member cannot log in, even with the reset password', async () => {
      await staffLogout(j);
      await fillForm(page, { 'form.login input[name=login]': LOGIN, 'form.login input[name=password]': RESET });
      await submitAndGo(page, 'form.login button[type=submit]');
      await page.waitForSelector('#error');
      assert(await page.$('form.login'), 'still the login form');
      assert(!(await page.$('header nav')), 'not logged in');
    }, { expect: [{ status: 401, url: /\/admin\/login$/ }, { status: 403, url: /\/admin\/login$/ }] });

    await j.step('协议文本: a new version of 《数字证书申请责任书》 published: 第 2 版, the website shows it', async () => {
      await staffLogin(j, 'admin');
      await click(page, 'header nav a[href="/admin/agreements"]');
      await waitText(page, '#agreement-agreement .current-version', '第 1 版');
      const body = await page.$eval('#form-agreement textarea[name=body]', (t) => t.value);
      await page.$eval('#form-agreement textarea[name=body]', (t, v) => { t.value = v; }, `${body.trimEnd()}\n${AMENDMENT}`);
      await submitAndGo(page, '#form-agreement button[value=publish]');
      await done(page, '已发布新版本');
      await waitText(page, '#agreement-agreement .current-version', '第 2 版');
      const published = await textOf(page, '#agreement-agreement dl');
      assert(/\d{4}年\d\d月\d\d日 \d\d:\d\d，系统管理员/.test(published), `published when and by whom: ${published}`);
      await visit(j, '/agreement.html?code=agreement');
      await waitText(page, 'main', AMENDMENT);
    });

    await j.step('下载中心: a file added (使用手册); the public 下载中心 lists it', async () => {
      const dir = path.join(j.dir, 'files');
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, 'manual.txt');
      await writeFile(file, '后台操作手册\n1. 登录\n2. 审核\n');
      await staffGo(j, '/admin/downloads');
      await page.select('#add-form select[name=category]', 'manual');
      await fill(page, '#add-form input[name=title]', FILE_TITLE);
      const input = await page.waitForSelector('#add-form input[type=file]');
      await input.uploadFile(file);
      await submitAndGo(page, '#add-form button[type=submit]');
      await done(page, '已新增文件，网站下载中心已显示。');
      await waitText(page, 'main', FILE_TITLE);
      await visit(j, '/downloads.html');
      await page.waitForSelector('#dl-loading', { hidden: true });
      await waitText(page, '#dl-groups', FILE_TITLE);
    });

    await j.step('系统状态 and 定时任务: the database connected, the jobs listed', async () => {
      await staffGo(j, '/admin/status');
      await waitText(page, '#db-status', '已连接');
      const status = await textOf(page, 'dl.status');
      assert(/迁移时间\s*\d{4}年\d\d月\d\d日 \d\d:\d\d:\d\d/.test(status), `迁移时间 as 年/月/日: ${status}`);
      await click(page, 'main a[href="/admin/jobs"]');
      await waitText(page, 'main h2', '定时任务');
      const jobs = await page.$$eval('#jobs tbody tr', (trs) => trs.map((tr) => tr.id));
      for (const want of ['job-sms-send', 'job-invoice-send', 'job-auto-confirm']) assert(jobs.includes(want), `the jobs: ${jobs}`);
    });

    await j.step('审计日志: what was just done, by whom, to the second as 年/月/日; filtered by today typed as 年/月/日', async () => {
      await staffGo(j, '/admin/audit');
      const rows = await page.$$eval('#audit tbody tr[data-action]', (trs) => trs.map((tr) => ({
        action: tr.dataset.action, cells: [...tr.cells].map((c) => c.innerText.trim()),
      })));
      const seen = (action, who) => rows.some((r) => r.action === action && r.cells[1].includes(who));
      assert(seen('staff_create', '系统管理员'), 'the new member in the trail');
      assert(seen('staff_password', '系统管理员'), 'the reset in the trail');
      assert(seen('staff_update', '系统管理员'), 'the disabling in the trail');
      assert(seen('agreement_publish', '系统管理员'), 'the new agreement version in the trail');
      assert(seen('download_add', '系统管理员'), 'the new file in the trail');
      assert(seen('login_failed', LOGIN), 'the refused login in the trail');
      const at = rows[0].cells[0];
      const m = /^(\d{4})年(\d\d)月(\d\d)日 \d\d:\d\d:\d\d$/.exec(at);
      assert(m, `时间 as 年/月/日 to the second: ${at}`);
      await fillForm(page, { 'form.filters input[name=from]': `${m[1]}年${+m[2]}月${+m[3]}日`, 'form.filters input[name=to]': `${m[1]}-${m[2]}-${m[3]}` });
      await page.select('form.filters select[name=action]', 'download_add');
      await submitAndGo(page, 'form.filters button[type=submit]');
      const only = await page.$$eval('#audit tbody tr[data-action]', (trs) => trs.map((tr) => tr.dataset.action));
      assert(only.length >= 1 && only.every((a) => a === 'download_add'), `only the added file: ${only}`);
      assertEqual(await page.$eval('form.filters input[name=from]', (e) => e.value), `${m[1]}年${m[2]}月${m[3]}日`, 'the from field');
    });
  },
}];
