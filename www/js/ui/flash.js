// A message for the next page (sessionStorage; one page, once): 注册成功,
// 订单已提交… set before leaving, taken and shown by the page that follows.

const FLASH_KEY = 'certhall.flash';

export function setFlash(message) {
  try {
    window.sessionStorage.setItem(FLASH_KEY, message);
  } catch (e) { /* storage off: no message */ }
}

export function takeFlash() {
  try {
    const m = window.sessionStorage.getItem(FLASH_KEY);
    window.sessionStorage.removeItem(FLASH_KEY);
    return m;
  } catch (e) {
    return null;
  }
}
