// Journey (e): a verified applicant without a certificate applies online
// (the seeds' 在线办理): 延期 / 解锁 / 补办 refused with the reason shown;
// 新办 of a 单位证书 (project, terms agreed), 基本信息 with the errors beside
// the fields, 资料上传 (progress, thumbnail, a replace, the refusals of a
// grey scan, a .txt renamed .jpg and a file over 2 MiB), the printable
// 申请表, 开票信息 with the title saved, the delivery address, and 订单提交
// landing in 待支付. The scans are made by build/bin/mkscan at run time.
import { verifiedAccount, scratch, scan, textFile, watchTexts } from './lib/applicant.mjs';
import { fill, fillForm, click, waitText, textOf, loginByPassword, visit, submitAndGo,
         fieldErrorOf, assert, assertEqual } from './lib/user.mjs';

const PHONE = '13700270051';
const PASSWORD = 'Apply5er2027';
const NAME = '王五';
const ID = '430102199001011238';
const ORG = '长沙浏览器测试有限公司';
const USCC = '91350100M000100Y43';
const LEGAL_ID = '110101199003077758';
const INVOICE_EMAIL = 'finance@example.com';
const ADDRESS = { '#ad-recipient': '赵六', '#ad-mobile': '13700270052', '#ad-region': '湖南省长沙市岳麓区',
                  '#ad-postal': '410000', '#ad-detail': '麓山南路 932 号 3 栋 201' };

async function chooseService(page, service) {
  await click(page, `label[for="svc-${service}"]`);
}

// choose a file for a material as a person does (its picker); resolves
// with every text its status line showed until it said `until`
async function upload(page, kind, file, until) {
  const seen = await watchTexts(page, `#mat-${kind}-status`);
  const input = await page.waitForSelector(`#mat-${kind}-input`);
  await input.uploadFile(file);
  if (until) await waitText(page, `#mat-${kind}-status`, until);
  return seen();
}

// the file a material shows: its name and its details line
async function shownFile(page, kind) {
  return page.$eval(`#mat-${kind} .material-file`, (e) => (
    { text: e.innerText.trim(), name: e.querySelector('.file-meta strong')?.textContent || '' }));
}

// the hall's refusal of an upload (422, or 413 from a limit before ours)
const REFUSED = [{ status: 422, url: /\/materials\/eseal_form$/ }, { status: 413, url: /\/materials\/eseal_form$/ }];

// the material's thumbnail is an image the browser has drawn
async function thumbDrawn(page, kind) {
  await page.waitForFunction((k) => {
    const i = document.querySelector(`#mat-${k} a.thumb img`);
    return i && i.complete && i.naturalWidth > 0;
  }, {}, kind);
}

// click in the middle of some words of an element (as a person aims at
// them), wherever they are inside it
async function clickWords(page, selector, words) {
  const at = await page.$eval(selector, (e, w) => {
    e.scrollIntoView({ block: 'center' });
    const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) {
      const i = t.data.indexOf(w);
      if (i < 0) continue;
      const r = document.createRange();
      r.setStart(t, i);
      r.setEnd(t, i + w.length);
      const b = r.getClientRects()[0];
      return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
    }
    return null;
  }, words);
  assert(at, `${selector} shows ${words}`);
  await page.mouse.click(at.x, at.y);
}

// a service with no certificate to apply for: says why and offers 新办;
// the hint says the rule but no 请选择要…的证书; neither the 用户申请条款
// nor 下一步 is offered (nothing to agree to or go on with)
async function nothingToApplyFor(page, why) {
  const said = await waitText(page, '#cert-status', why);
  const hint = await textOf(page, '#cert-hint');
  assert(!hint.includes('请选择'), `nothing to choose, yet the hint says: ${hint}`);
  assert(said.includes('如需办理数字证书，请选择证书新办'), `what to do instead: ${said}`);
  assertEqual(await page.$eval('#cert-status-new', (a) => new URL(a.href).search), '?service=new', 'the 证书新办 link');
  assertEqual(await page.$$eval('#cert-list input', (l) => l.length), 0, 'certificates offered');
  await page.waitForSelector('#terms-fields', { hidden: true });
  await page.waitForSelector('#apply-submit', { hidden: true });
}

async function refused(page, kind, file, re) {
  const before = await shownFile(page, kind);
  await (await page.waitForSelector(`#mat-${kind}-input`)).uploadFile(file);
  const said = await waitText(page, `#mat-${kind}-error`, re);
  const e = await fieldErrorOf(page, `#mat-${kind}-input`);
  assert(e.invalid, `the picker is marked invalid: ${JSON.stringify(e)}`);
  assertEqual((await shownFile(page, kind)).name, before.name, 'the file shown before stays');
  return said;
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
    await nothingToApplyFor(page, '您名下暂无可办理延期的证书。延期只适用于即将过期或已过期3个月内的证书。');
    await page.waitForSelector('#new-fields', { hidden: true });
  });

  for (const [service, hint, why] of [
    ['unlock', '证书密码遗忘或多次尝试密码导致被锁', '您名下暂无可办理解锁的证书。解锁只适用于密码遗忘或多次尝试密码导致被锁的证书。'],
    ['replace', '只有在本系统办理过的证书可以补办，且须在有效期内', '您名下暂无可办理补办的证书。补办只适用于在本系统办理过、且仍在有效期内的证书。']]) {
    await j.step(`在线办理: ${service === 'unlock' ? '解锁' : '补办'} without a certificate is refused with its reason`, async () => {
      await chooseService(page, service);
      await waitText(page, '#cert-hint', hint);
      await nothingToApplyFor(page, why);
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

  await materials(j, page, dir);
  await invoiceAndSubmit(j, page);
}

async function materials(j, page, dir) {
  const P = page;
  const path = (n) => `${dir}/${n}`;
  await scan(dir, 'form.jpg', 'jpg', 'color', 1240, 1754);
  await scan(dir, 'letter.jpg', 'jpg', 'color', 1240, 1754);
  await scan(dir, 'id-front.jpg', 'jpg', 'color', 1000, 630);
  await scan(dir, 'id-back.jpg', 'jpg', 'color', 1000, 630);
  await scan(dir, 'license.jpg', 'jpg', 'color', 1400, 1000);
  await scan(dir, 'license-new.png', 'png', 'color', 1400, 1000);
  await scan(dir, 'eseal.jpg', 'jpg', 'color', 1240, 1754);
  await scan(dir, 'grey.jpg', 'jpg', 'grey', 1240, 1754);
  await scan(dir, 'big.jpg', 'jpg', 'color', 2400, 1800, '--size', String(2 * 1024 * 1024 + 300000));
  await textFile(dir, 'notes.jpg', '这不是图片，只是改了扩展名的文本文件。\n');

  await j.step('资料上传: the 申请表 to print opens as a document of this order', async () => {
    const href = await P.$eval('#mat-application_form a[href$="/application-form"]', (a) => a.href);
    const got = await P.evaluate(async (u) => {
      const r = await fetch(u, { credentials: 'same-origin' });
      const b = await r.text();
      return { status: r.status, type: r.headers.get('content-type'), head: b.slice(0, 400), len: b.length };
    }, href);
    j.tap.diag(`  申请表: ${href} ${got.status} ${got.type} ${got.len}`);
    assertEqual(got.status, 200, 'the 申请表 answers');
    assert(/^text\/html|^application\/pdf/.test(got.type), `a page or a PDF to print: ${got.type}`);
  });

  const uploads = [['application_form', 'form.jpg'], ['responsibility_letter', 'letter.jpg'],
                   ['legal_id_front', 'id-front.jpg'], ['legal_id_back', 'id-back.jpg'],
                   ['business_license', 'license.jpg']];
  for (const [kind, name] of uploads) {
    await j.step(`资料上传: ${kind} uploads with its progress, then its thumbnail`, async () => {
      const seen = await upload(P, kind, path(name), /已上传/);
      j.tap.diag(`  ${kind}: ${seen.join(' | ')}`);
      assert(seen.some((t) => t.includes(`正在上传“${name}”`)), `the progress was shown: ${seen.join(' | ')}`);
      await thumbDrawn(P, kind);
      const f = await shownFile(P, kind);
      assertEqual(f.name, name, 'the file named');
      assert(/JPG|JPEG/.test(f.text) && /像素/.test(f.text), `its format and size: ${f.text}`);
      await waitText(P, `label[for="mat-${kind}-input"]`, '重新上传');
    });
  }

  await j.step('a grey scan is refused beside 电子签章采集表: scans must be in colour', async () => {
    const said = await refused(P, 'eseal_form', path('grey.jpg'), /扫描件必须为彩色/);
    j.tap.diag(`  grey: ${said}`);
    await waitText(P, '#mat-eseal_form .material-file', '尚未上传。');
  }, { expect: REFUSED });

  await j.step('a .txt renamed .jpg is refused: only the extension was changed', async () => {
    const said = await refused(P, 'eseal_form', path('notes.jpg'), /notes\.jpg.*不是.*格式.*只改扩展名不能改变文件格式/);
    j.tap.diag(`  txt: ${said}`);
  }, { expect: REFUSED });

  await j.step('a file over 2 MiB is refused with its size and the limit', async () => {
    // the size in the limit's own unit (M = MiB), so the two compare
    const said = await refused(P, 'eseal_form', path('big.jpg'), /^“big\.jpg”未上传：所选文件大小为2\.\dM，超过了2M的上限/);
    j.tap.diag(`  big: ${said}`);
  }, { expect: REFUSED });

  await j.step('电子签章采集表 in colour is taken; 下一步 is no longer held back', async () => {
    await upload(P, 'eseal_form', path('eseal.jpg'), /已上传/);
    await P.waitForSelector('#mat-eseal_form-error', { hidden: true });
    assertEqual((await fieldErrorOf(P, '#mat-eseal_form-input')).invalid, false, 'the picker is no longer invalid');
    await P.waitForSelector('#materials-missing', { hidden: true });
    await P.waitForFunction(() => !document.getElementById('materials-next').disabled);
  });

  await j.step('重新上传营业执照 replaces the file shown', async () => {
    await upload(P, 'business_license', path('license-new.png'), /已上传：license-new\.png/);
    const f = await shownFile(P, 'business_license');
    assertEqual(f.name, 'license-new.png', 'the file named');
    assert(/PNG/.test(f.text), `its format: ${f.text}`);
    assert(!f.text.includes('license.jpg'), 'the old file is gone');
    await thumbDrawn(P, 'business_license');
    assertEqual(await P.$$eval('#mat-business_license a.thumb', (l) => l.length), 1, 'thumbnails');
    // its size in the unit of the 2M limit (K/M, 1024-based), not "KB"/"MB"
    assert(/ · \d+\.\d[KM] · /.test(f.text) && !/[KM]B/.test(f.text), `its size as the limit says it: ${f.text}`);
  });

  await j.step('a refused re-upload names the refused file and keeps the one uploaded', async () => {
    const said = await refused(P, 'business_license', path('notes.jpg'), /“notes\.jpg”未上传：/);
    assert(said.endsWith('，仍保留原文件“license-new.png”。'), `the file kept is said: ${said}`);
    await waitText(P, '#mat-business_license .material-file', 'license-new.png');
  });
}

async function invoiceAndSubmit(j, P) {
  await j.step('下一步：开票信息 asks for the invoice title', async () => {
    await click(P, '#materials-next');
    await waitText(P, '#invoice-title', '开票信息');
    await page_visible(P, '#step-3');
    await waitText(P, '#invoice-lead', '电子发票会自动开出');
  });

  await j.step('开票信息: a 单位 title without its 纳税人识别号 is refused beside the field', async () => {
    await click(P, 'label[for="iv-type-org"]');
    await fillForm(P, { '#iv-title': ORG, '#iv-email': INVOICE_EMAIL, '#iv-mobile': PHONE });
    await fill(P, '#iv-taxid', '');
    await click(P, '#invoice-form button[type=submit]');
    const said = await waitText(P, '#iv-taxid-error', /./);
    j.tap.diag(`  taxid: ${said}`);
    assert((await fieldErrorOf(P, '#iv-taxid')).invalid, 'the field is marked invalid');
  });

  await j.step('开票信息 saved with 保存到我的发票抬头: on to 订单提交', async () => {
    await fill(P, '#iv-taxid', USCC);
    await click(P, 'label[for="iv-save"]');
    assert(await P.$eval('#iv-save', (e) => e.checked), '保存到我的发票抬头 is ticked');
    await click(P, '#invoice-form button[type=submit]');
    await waitText(P, '#submit-title', '订单提交');
    await page_visible(P, '#step-4');
    const summary = await waitText(P, '#summary', '单位证书-新办');
    assert(/订单总价\s*¥\d/.test(summary), `the summary gives the price: ${summary}`);
  });

  await j.step('订单提交 shows what is submitted for review: 基本信息 and 开票信息', async () => {
    const info = await waitText(P, '#summary-info', ORG);
    for (const [label, value] of [['单位名称', ORG], ['统一社会信用代码', USCC], ['法定代表人姓名', NAME],
                                  ['手机号码', PHONE]]) {
      assert(info.includes(label) && info.includes(value), `基本信息 gives ${label} ${value}: ${info}`);
    }
    const id = /法定代表人身份证号码\s*(\S+)/.exec(info);
    assert(id && !info.includes(LEGAL_ID) && id[1].endsWith(LEGAL_ID.slice(-4)) && id[1].includes('*'),
           `the legal representative's ID number is masked: ${info}`);
    const invoice = await textOf(P, '#summary-invoice');
    for (const [label, value] of [['抬头类型', '单位'], ['发票抬头', ORG], ['纳税人识别号', USCC]]) {
      assert(invoice.includes(label) && invoice.includes(value), `开票信息 gives ${label} ${value}: ${invoice}`);
    }
    const headings = await P.$$eval('#step-4 h3', (hs) => hs.map((h) => h.textContent));
    assertEqual(headings.slice(0, 3).join(' '), '订单信息 基本信息 开票信息', 'the summary\'s parts');
  });

  await j.step('快递 without an address: the page asks for one and links 我的地址', async () => {
    await click(P, 'label[for="sb-express"]');
    await page_visible(P, '#express-panel');
    await waitText(P, '#address-list', '您还没有收件地址，请先新增地址。');
  });

  await j.step('我的地址: a new address saved, with the way back to the order', async () => {
    await submitAndGo(P, '#address-manage');
    await waitText(P, '#address-title', '我的地址');
    await fillForm(P, ADDRESS);
    await click(P, '#address-form button[type=submit]');
    await waitText(P, '#address-list', ADDRESS['#ad-detail']);
    await waitText(P, '#address-back', '返回订单继续办理');
  });

  await j.step('返回订单继续办理 leads back to 订单提交', async () => {
    await submitAndGo(P, '#address-back a');
    await waitText(P, '#submit-title', '订单提交');
  });

  await j.step('订单提交: 快递 and the new default address are chosen; the 申请责任书 agreed', async () => {
    await page_visible(P, '#express-panel');
    assert(await P.$eval('#sb-express', (e) => e.checked), '快递邮寄 is still chosen');
    const list = await waitText(P, '#address-list', ADDRESS['#ad-detail']);
    assert(list.includes('赵六') && list.includes('默认'), `the address shows its recipient, the default: ${list}`);
    assertEqual(await P.$$eval('#address-list input[name="address_id"]', (l) => l.filter((i) => i.checked).length),
                1, 'addresses chosen');
    // a person clicks the label's words: that ticks the box (no tab opens);
    // the 责任书 opens from its own link beside the label
    const tabs = (await P.browserContext().pages()).length;
    await clickWords(P, 'label[for="sb-agree"]', '《数字证书申请责任书》');
    await P.waitForFunction(() => document.getElementById('sb-agree').checked);
    assertEqual((await P.browserContext().pages()).length, tabs, 'tabs open after clicking the label');
    const link = await P.$eval('#sb-agreement-link', (a) => ({ in: !!a.closest('label'), target: a.target, text: a.textContent }));
    assert(!link.in && link.target === '_blank' && link.text.includes('《数字证书申请责任书》'),
           `the 责任书 has its own link outside the label: ${JSON.stringify(link)}`);
    await waitText(P, '#submit-price', /¥\d/);
  });

  await j.step('提交订单 lands on the order, 待支付', async () => {
    await submitAndGo(P, '#submit-form button[type=submit]');
    assertEqual(new URL(P.url()).pathname, '/order.html', 'the page');
    await waitText(P, '#order-title', '订单详情');
    const facts = await waitText(P, '#order-facts', '待支付');
    j.tap.diag(`  order: ${facts.replace(/\n/g, ' | ')}`);
    assert(/订单状态\s*待支付/.test(facts), `its state is 待支付: ${facts}`);
    assert(facts.includes('单位证书-新办'), `the order is the one applied for: ${facts}`);
  });

  await j.step('我的发票抬头 keeps the title for later', async () => {
    await visit(j, '/invoice-titles.html');
    const list = await waitText(P, '#title-list', ORG);
    assert(list.includes(USCC), `with its 纳税人识别号: ${list}`);
  });
}

async function page_visible(P, sel) {
  await P.waitForSelector(sel, { visible: true });
}
