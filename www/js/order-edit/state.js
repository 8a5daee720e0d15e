// order-edit.html's order and what the steps share: the order as last
// read, what the page loaded beside it (我的发票抬头, 我的地址, the
// pickup points, the prefill, the 申请责任书 shown), the addresses of the
// API and of the steps, and `flow`: the page's render() and renderHead()
// (order-edit.js sets them at start), which a step calls once the order
// has changed. No DOM at import.
import { toLogin } from '../ui/page.js';

export const state = {
  id: '',
  order: null,
  editable: false,
  titleOnly: false,     // 修改开票信息 of a submitted order: step 3 alone
  titles: [],           // 我的发票抬头
  addresses: null,      // 我的地址 (null: could not be loaded)
  points: null,         // the pickup points
  prefill: null,        // GET …/prefill: { field: { value, source_name } }
  agreement: null       // the 申请责任书 shown (its current version)
};

// set by order-edit.js: render() the whole page from state.order,
// renderHead() only its title and links
export const flow = { render: null, renderHead: null };

export function $(id) {
  return document.getElementById(id);
}

export function path(tail) {
  return '/api/orders/' + encodeURIComponent(state.id) + (tail || '');
}

export function stepUrl(n) {
  return '/order-edit.html?id=' + encodeURIComponent(state.id) + '&step=' + n;
}

export function toggle(fieldset, on) {
  fieldset.hidden = !on;
  fieldset.disabled = !on;
}

// 新办, 延期 …: the service without 证书
export function serviceVerb() {
  return String(state.order.service_name || '').replace(/^证书/, '');
}

// a failed save or reload: 401 to the login page (true), else false
export function leftForLogin(err) {
  if (err.status === 401) {
    toLogin();
    return true;
  }
  return false;
}
