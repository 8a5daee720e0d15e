// What a keyboard-only user does and sees: Tab (or Shift+Tab) to a control,
// type into it, Space/Enter/arrows; the control that has the focus and
// whether its focus is drawn (an outline or a shadow on it, or for a
// visually hidden file input on the 点击上传 label beside it).
import { WAIT } from './browser.mjs';
import { tabTo } from './user.mjs';

// the focused element and its ring: { what: 'input#lp-phone', ring: true, how }
export async function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return { what: 'body', ring: false, how: '' };
    const drawn = (e) => {
      const s = getComputedStyle(e);
      if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) return `outline ${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}`;
      if (s.boxShadow && s.boxShadow !== 'none') return `box-shadow ${s.boxShadow}`;
      return '';
    };
    // a visually hidden control (the file inputs) shows its focus on its label
    const hidden = a.getBoundingClientRect().width <= 1 || getComputedStyle(a).opacity === '0';
    const label = a.id && document.querySelector(`label[for="${a.id}"]`);
    const how = hidden ? (label && drawn(label) ? `label: ${drawn(label)}` : '') : drawn(a);
    return { what: `${a.tagName.toLowerCase()}${a.id ? '#' + a.id : ''}${a.name ? `[name=${a.name}]` : ''}`, ring: !!how, how };
  });
}

// Tab to `selector` and check that the focus is there and drawn
export async function reach(page, selector, most = 60) {
  const presses = await tabTo(page, selector, most);
  const f = await focused(page);
  if (!f.ring) throw new Error(`${f.what} has the focus but no visible focus indicator`);
  return { ...f, presses };
}

// Tab to a text field, select what it holds and type `value` over it
export async function typeInto(page, selector, value, most = 60) {
  const f = await reach(page, selector, most);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(String(value));
  return f;
}

// press a key that leads to another page and wait for it
export async function pressAndGo(page, key = 'Enter') {
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded', timeout: WAIT }), page.keyboard.press(key)]);
}

// the arrow key in a radio group until `selector` is the checked radio
export async function arrowTo(page, selector, key = 'ArrowDown', most = 10) {
  for (let i = 0; i < most; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) && document.activeElement.checked, selector)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${key} did not reach ${selector}`);
}

// a file picker opened with the key (Space on the focused file input) and
// the file chosen in the dialog, as a keyboard user does. The dialog is
// caught over the DevTools protocol with the interception switched on
// (and answered) before the key is pressed: puppeteer's waitForFileChooser
// switches it on concurrently with the key press, which a loaded machine
// can let the press overtake (then headless Chromium shows no dialog)
export async function chooseFile(page, file, key = 'Space') {
  const cdp = await page.createCDPSession();
  try {
    await cdp.send('Page.enable');
    await cdp.send('Page.setInterceptFileChooserDialog', { enabled: true });
    let timer;
    const opened = new Promise((resolve, reject) => {
      cdp.once('Page.fileChooserOpened', resolve);
      timer = setTimeout(() => reject(new Error(`${key} opened no file dialog within ${WAIT} ms`)), WAIT);
    });
    await page.keyboard.press(key);
    const { backendNodeId, mode } = await opened.finally(() => clearTimeout(timer));
    if (mode !== 'selectSingle') throw new Error(`the dialog would take ${mode}`);
    await cdp.send('DOM.setFileInputFiles', { files: [file], backendNodeId });
  } finally {
    await cdp.send('Page.setInterceptFileChooserDialog', { enabled: false }).catch(() => {});
    await cdp.detach().catch(() => {});
  }
}
