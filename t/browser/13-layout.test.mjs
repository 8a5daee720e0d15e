// Journey (layout): every page a visitor and the demo applicant see, at a
// phone's, a tablet's, a small laptop's and a desktop's width (390, 768,
// 1024, 1280 px): nothing runs off to the right (the page does not scroll
// sideways, and no element -- a table's last column inside its scroll box
// included -- ends beyond the window), the header (www/_inc/header.html,
// put into every page by nginx SSI) leads to 在线办理 · 下载中心 · 账号中心
// with the page's own part of the site marked aria-current and all three
// in view, the footer is there, and the skip link is the first stop of the
// Tab key, shows itself, and takes the focus to the main content. 我的订单's
// table is read as cards where it would not fit (1024 px and narrower), and
// no field's placeholder is cut off at any width.
// One step a page, all widths inside it; the step's screenshots are the
// harness's (1280 and a 390 phone).
import { DEMO_VERIFIED as DEMO } from './lib/accounts.mjs';
import { waitText, loginByPassword, visit, assert, assertEqual } from './lib/user.mjs';
import { DESKTOP } from './lib/browser.mjs';

const WIDTHS = [1280, 1024, 768, 390];
const TOP = [['在线办理', '/apply.html'], ['下载中心', '/downloads.html'], ['账号中心', '/account.html']];

// the demo data's orders (make run): one in each state the page draws differently
const ORDERS = ['UO202612070930000001', 'UO202612010930000002', 'UO202611150930000003'];
const DRAFT = 'UO202612060930000004';

// path, the heading the page shows once loaded, its loading line (hidden
// once its data came), and the header link marked aria-current (none: null)
const VISITOR = [
  { path: '/', title: ['main h1', '数字证书在线办理'], current: null },
  { path: '/login.html', title: ['#login-title', '登录'], current: '登录' },
  { path: '/register.html', title: ['#register-title', '注册账号'], current: '注册' },
  { path: '/reset-password.html', title: ['#reset-title', '找回密码'], current: null },
  { path: '/apply.html', title: ['#apply-title', '在线办理'], loading: '#apply-loading', current: '在线办理' },
  { path: '/downloads.html', title: ['#downloads-title', '下载中心'], loading: '#dl-loading', current: '下载中心' },
  { path: '/agreement.html?code=user_terms', title: ['#agreement-title', '用户申请条款'], loading: '#agreement-loading', current: '在线办理' },
];
const APPLICANT = [
  { path: '/account.html', title: ['#profile-title', '个人中心'], loading: '#account-loading', current: '账号中心' },
  { path: '/applications.html', title: ['#apps-title', '我的申请'], loading: '#apps-loading', current: '账号中心' },
  { path: '/orders.html', title: ['#orders-title', '我的订单'], loading: '#orders-loading', current: '账号中心',
    cards: { table: '#orders-wrap table', first: '订单号', at: { 1280: false, 1024: true, 768: true, 390: true } } },
  { path: '/order.html', ids: ORDERS, title: ['#order-title', '订单详情'], loading: '#order-loading', current: '在线办理' },
  { path: `/order-edit.html?id=${DRAFT}`, title: ['#edit-title', '证书新办流程'], loading: '#edit-loading', current: '在线办理' },
  { path: '/messages.html', title: ['#messages-title', '我的消息'], loading: '#messages-loading', current: '账号中心' },
  { path: '/addresses.html', title: ['#address-title', '我的地址'], loading: '#address-loading', current: '账号中心' },
  { path: '/invoice-titles.html', title: ['#title-title', '我的发票抬头'], loading: '#title-loading', current: '账号中心' },
  { path: '/apply.html', title: ['#apply-title', '在线办理'], loading: '#apply-loading', current: '在线办理' },
  { path: '/downloads.html', title: ['#downloads-title', '下载中心'], loading: '#dl-loading', current: '下载中心' },
];

// in the page: what runs off the window's right (or left) edge; elements
// clipped to nothing (visually hidden text, a table's header row read only
// by screen readers) are not seen and do not count
function offside() {
  const w = window.innerWidth;
  const clipped = (e) => {
    for (let a = e; a; a = a.parentElement) {
      const r = a.getBoundingClientRect();
      if ((r.width <= 1 || r.height <= 1) && getComputedStyle(a).overflow !== 'visible') return true;
    }
    return false;
  };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? `#${e.id}` : '')
    + (typeof e.className === 'string' && e.className ? `.${e.className.trim().split(/\s+/).join('.')}` : '');
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= w + 0.5 && r.left >= -0.5) continue;
    if (clipped(e)) continue;
    out.push(`${name(e)} [${Math.round(r.left)}..${Math.round(r.right)}] "${(e.innerText || '').trim().slice(0, 30).replace(/\s+/g, ' ')}"`);
  }
  return { scrollWidth: document.scrollingElement.scrollWidth, width: w, out };
}

// in the page: the fields whose placeholder is cut off (wider than the
// field's text box, in the field's own font)
function placeholdersCut() {
  const ctx = document.createElement('canvas').getContext('2d');
  const cut = [];
  for (const e of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(e);
    ctx.font = s.font;
    const room = e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
      - (e.type === 'search' ? 20 : 0);   // the clear button of a search field
    const need = ctx.measureText(e.placeholder).width;
    if (need > room + 0.5) cut.push(`${e.id || e.name}: "${e.placeholder}" ${Math.round(need)}px in ${Math.round(room)}px`);
  }
  return cut;
}

// in the page: the top navigation's links as a person sees them
function header() {
  const w = window.innerWidth;
  return [...document.querySelectorAll('header.top nav[aria-label="主导航"] a')].map((a) => {
    const r = a.getBoundingClientRect();
    return { text: a.textContent.trim(), href: a.getAttribute('href'), current: a.getAttribute('aria-current'),
             inView: r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= w && r.top >= 0 };
  });
}

// in the page: a list table read as a table (its header row seen) or as
// cards (each cell after its column's name)
function tableLook(sel) {
  const t = document.querySelector(sel);
  const head = t.querySelector('thead').getBoundingClientRect();
  const td = t.querySelector('tbody td');
  return { header: head.width > 1 && head.height > 1, label: td ? getComputedStyle(td, '::before').content : '' };
}

async function checkWidth(page, width, where, cards) {
  await page.setViewport({ width, height: 900 });
  const o = await page.evaluate(offside);
  assert(o.scrollWidth <= o.width, `${where} at ${width}px: the page scrolls sideways (${o.scrollWidth}px wide)`);
  assert(o.out.length === 0, `${where} at ${width}px: ${o.out.length} elements run off the window: ${o.out.slice(0, 6).join('; ')}`);
  const cut = await page.evaluate(placeholdersCut);
  assert(cut.length === 0, `${where} at ${width}px: placeholders cut off: ${cut.join('; ')}`);
  if (cards) {
    const look = await page.evaluate(tableLook, cards.table);
    const want = cards.at[width];
    assertEqual(look.header, !want, `${where} at ${width}px: the table's header row is seen`);
    if (want) assertEqual(look.label, `"${cards.first}"`, `${where} at ${width}px: a card's first cell is named`);
  }
  const links = await page.evaluate(header);
  TOP.forEach(([text, href], i) => {
    const a = links[i] || {};
    assertEqual(`${a.text} ${a.href}`, `${text} ${href}`, `${where}: the header's link ${i + 1}`);
    assert(a.inView, `${where} at ${width}px: the header's ${text} is not in view`);
  });
  return links;
}

// from the top of the page (focus on the document, as after loading it), Tab
// reaches 跳到主要内容 first, which then shows; Enter moves the focus to <main>
async function skipLink(page, where) {
  await page.evaluate(() => {
    // a page that put the focus on its heading while loading: start from
    // the document's top, as a person arriving by keyboard does
    if (document.activeElement && document.activeElement !== document.body) {
      document.body.tabIndex = -1;
      document.body.focus();
      document.body.removeAttribute('tabindex');
    }
  });
  const before = await page.$eval('a.skip-link', (a) => a.getBoundingClientRect().bottom);
  assert(before <= 0, `${where}: the skip link is out of sight until focused (bottom ${before})`);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    return { cls: a.className, text: a.textContent.trim(), href: a.getAttribute('href'),
             seen: r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth };
  });
  assertEqual(`${focused.cls} ${focused.text} ${focused.href}`, 'skip-link 跳到主要内容 #main', `${where}: the first Tab stop`);
  assert(focused.seen, `${where}: the focused skip link is in view`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'main')
    .catch(() => { throw new Error(`${where}: Enter on the skip link did not move the focus to <main>`); });
}

// one page (order.html: one order of each state), loaded at the widest
// width, then narrowed
async function checkPage(j, p) {
  for (const id of p.ids || [null]) await checkOne(j, p, id ? `${p.path}?id=${id}` : p.path);
}

async function checkOne(j, p, path) {
  const page = j.page;
  await page.setViewport({ width: WIDTHS[0], height: 900 });
  await visit(j, path);
  if (p.loading) await page.waitForSelector(p.loading, { hidden: true });
  await waitText(page, p.title[0], p.title[1]);
  if (j.loggedIn) await waitText(page, '#account-nav', `欢迎您，${DEMO.masked}`);
  await waitText(page, 'body > footer', '在线服务厅专线');
  const body = await page.$eval('body', (b) => b.innerText);
  assert(!body.includes('an error occurred while processing the directive'), `${path}: an SSI error is shown`);
  let links;
  for (const w of WIDTHS) links = await checkWidth(page, w, path, p.cards);
  const current = links.filter((a) => a.current === 'page').map((a) => a.text);
  assertEqual(current.join(' '), p.current || '', `${path}: the header link marked aria-current="page"`);
  await skipLink(page, path);
  await page.setViewport(DESKTOP);   // the step's desktop screenshot is the desktop's
}

export const journeys = [
  {
    name: 'layout visitor',
    async run(j) {
      for (const p of VISITOR) await j.step(`${p.title[1]} (${p.path}) at ${WIDTHS.join(', ')} px`, () => checkPage(j, p));
    },
  },
  {
    name: 'layout applicant',
    async run(j) {
      await j.step('登录 as the demo applicant', async () => {
        await loginByPassword(j, DEMO.phone, DEMO.password);
        await waitText(j.page, '#account-nav', `欢迎您，${DEMO.masked}`);
        j.loggedIn = true;
      });
      for (const p of APPLICANT) await j.step(`${p.title[1]} (${p.path}) at ${WIDTHS.join(', ')} px`, () => checkPage(j, p));
    },
  },
];
