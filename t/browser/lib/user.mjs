// What a person does on a page: fill a field, press a button, read a text.
// Every wait is for an event (a selector, a text) and bounded by WAIT.
import { WAIT } from './browser.mjs';

// type into a field as a person does (clearing it first)
export async function fill(page, selector, value) {
  const el = await page.waitForSelector(selector, { visible: true });
  await el.click({ count: 3 });
  await el.evaluate((e) => { e.value = ''; });
  await el.type(String(value));
}

// fill several fields: { selector: value }
export async function fillForm(page, fields) {
  for (const [sel, v] of Object.entries(fields)) await fill(page, sel, v);
}

export async function click(page, selector) {
  const el = await page.waitForSelector(selector, { visible: true });
  await el.click();
}

// the visible text of an element once it contains `text` (a string or a
// RegExp); fails with what it did show when the bound is reached
export async function waitText(page, selector, text, { timeout = WAIT } = {}) {
  const re = text instanceof RegExp ? text : null;
  try {
    await page.waitForFunction((sel, src, flags, plain) => {
      const e = document.querySelector(sel);
      if (!e || e.closest('[hidden]')) return false;
      const t = e.innerText || e.textContent || '';
      return src !== null ? new RegExp(src, flags).test(t) : t.includes(plain);
    }, { timeout }, selector, re ? re.source : null, re ? re.flags : '', re ? null : text);
  } catch (e) {
    const shown = await textOf(page, selector).catch(() => '(none)');
    throw new Error(`${selector} did not show ${text} within ${timeout} ms; it shows: ${JSON.stringify(shown)}`);
  }
  return textOf(page, selector);
}

export async function textOf(page, selector) {
  return page.$eval(selector, (e) => (e.innerText || e.textContent || '').trim());
}

// go to a page of the hall and wait for its scripts' first answers
export async function visit(journey, path) {
  await journey.page.goto(journey.url(path), { waitUntil: 'domcontentloaded' });
}

// press a form's submit button and wait for the page it leads to
export async function submitAndGo(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), click(page, selector)]);
}

// log in by password on login.html; ends on the page the site goes to
export async function loginByPassword(journey, phone, password) {
  const page = journey.page;
  await visit(journey, '/login.html');
  await fillForm(page, { '#lp-phone': phone, '#lp-password': password });
  await submitAndGo(page, '#login-password-form button[type=submit]');
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export function assertEqual(got, want, what) {
  if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// the rows of a table body as the person reads them: one array of cell
// texts a row
export async function tableRows(page, selector) {
  return page.$$eval(`${selector} tr`, (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td, th')].map((c) => (c.innerText || '').trim())));
}

// the unread count in the header (nav.js's badge beside 欢迎您); 0 when hidden
export async function headerUnread(page) {
  return page.$eval('#account-nav', (nav) => {
    const b = nav.querySelector('.count-unread');
    return b && !b.hidden ? parseInt(b.firstChild.nodeValue, 10) : 0;
  });
}

// a field's error as assistive technology reaches it: the field is marked
// invalid and names the error element in aria-describedby
export async function fieldErrorOf(page, input) {
  return page.$eval(input, (e) => {
    const ids = (e.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    const said = ids.map((id) => document.getElementById(id))
      .filter((d) => d && !d.hidden && d.classList.contains('field-error'))
      .map((d) => d.textContent.trim());
    return { invalid: e.getAttribute('aria-invalid') === 'true', said: said.join(' ') };
  });
}

// press Tab until the element matching `selector` has the focus (at most
// `most` presses): what a keyboard user does to reach it
export async function tabTo(page, selector, most = 20) {
  for (let i = 0; i < most; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i;
    await page.keyboard.press('Tab');
  }
  const at = await page.evaluate(() => {
    const a = document.activeElement;
    return a ? `${a.tagName.toLowerCase()}#${a.id}` : 'nothing';
  });
  throw new Error(`${most} Tab presses did not reach ${selector} (the focus is on ${at})`);
}
