// alipay.js: paying an order with Alipay (支付宝), and showing how it
// was paid.
//
//   alipay.pay('/api/orders/UO…/pay')
//     .then(function (r) { ... })    // never: the page is leaving for Alipay
//     .catch(function (err) { ... }) // the API's error (429, 409, 503 …)
//
// POSTs method=alipay with the channel this screen calls for (wap on a
// phone-sized viewport, page on a computer's) and, when the answer carries
// the gateway and its signed fields, sends the browser there with a form
// it builds (hidden inputs made with the DOM, never markup: the signed
// values go as they are). The answer is the server's: the page adds
// nothing to what was signed.
//
// For the order page: paymentFacts(payment) are the rows of the payment
// that paid the order (支付方式 支付宝, 交易号, 金额, 支付时间), and
// attempts(list) is the 支付记录 (one row an attempt, newest first),
// collapsed when long.
import * as api from './api.js';
import { el } from './ui/dom.js';
import { yuan } from './ui/format.js';
import * as dates from './dates.js';

const doc = globalThis.document;

// Alipay's phone cashier (alipay.trade.wap.pay) below this width, its
// computer one (alipay.trade.page.pay) above
var PHONE = '(max-width: 768px)';

var CHANNEL_NAMES = { page: '电脑', wap: '手机' };
var STATE_NAMES = { open: '待付款', paid: '已付款', closed: '已关闭' };

// the 支付记录 open at first up to this many attempts, folded beyond
var SHOWN_OPEN = 3;

// the channel for this screen (win: the window, or a stand-in with matchMedia)
function channel(win) {
  win = win || globalThis;
  return win.matchMedia && win.matchMedia(PHONE).matches ? 'wap' : 'page';
}

// only an http(s) address is a gateway: anything else in the answer is
// a fault, not somewhere to send the applicant's browser
function gatewayUrl(r, base) {
  var u;
  try {
    u = new URL(r.gateway, base || globalThis.location.href);
  } catch (e) {
    return null;
  }
  return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
}

// the auto-submitting form of Alipay's page/wap payment
function submit(r) {
  var action = r && r.fields && typeof r.fields === 'object' ? gatewayUrl(r) : null;
  if (!action) {
    return false;
  }
  var form = doc.createElement('form');
  form.method = String(r.form_method || 'POST').toUpperCase() === 'GET' ? 'get' : 'post';
  form.action = action;
  form.acceptCharset = 'utf-8';
  form.hidden = true;
  Object.keys(r.fields).forEach(function (name) {
    var input = doc.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = String(r.fields[name]);
    form.appendChild(input);
  });
  doc.body.appendChild(form);
  form.submit();
  return true;
}

// POST …/pay method=alipay, then off to the gateway; resolves with the
// answer (the page is then leaving), rejects with the API's error or,
// when the answer names no gateway, one saying so
function pay(url) {
  return api.post(url, { method: 'alipay', channel: channel() }).then(function (r) {
    if (!submit(r)) {
      var e = new Error('支付宝支付暂时无法发起，请稍后再试或选择公对公转账。');
      e.name = 'ApiError';
      e.status = 502;
      e.code = 'bad_response';
      e.field = null;
      e.retryAfter = null;
      e.missing = null;
      throw e;
    }
    return r;
  });
}

// the rows (for ui.facts) of the payment that paid the order
function paymentFacts(p) {
  return [
    ['支付方式', '支付宝'],
    ['交易号', el('span', { className: 'trade-no' }, p.trade_no)],
    ['金额', el('strong', null, yuan(p.amount_fen))],
    ['支付时间', p.paid_at ? dates.time(p.paid_at) : null],
    ['付款账号', p.buyer_logon_id]
  ];
}

// an attempt still 待付款 whose time is up is shown so: Alipay has
// closed it, and the back office's sync will record that
function stateText(a) {
  if (a.state === 'open' && a.expires_at && new Date(a.expires_at).getTime() < Date.now()) {
    return '已过期';
  }
  return STATE_NAMES[a.state] || a.state;
}

var COLUMNS = ['次数', '渠道', '金额', '状态', '发起时间'];

// 支付记录: a <details> holding the table, open when short; null when
// there has been no attempt
function attempts(list, summaryId) {
  if (!Array.isArray(list) || list.length === 0) {
    return null;
  }
  var rows = list.map(function (a) {
    var cells = [
      '第 ' + a.attempt + ' 次',
      CHANNEL_NAMES[a.channel] || a.channel,
      yuan(a.amount_fen),
      el('span', { className: 'attempt-state attempt-' + String(a.state) }, stateText(a)),
      el('time', { dateTime: a.created_at || '' }, dates.time(a.created_at))
    ];
    return el('tr', null, cells.map(function (c, i) {
      return el('td', { 'data-label': COLUMNS[i], className: i === 2 ? 'num' : '' }, c);
    }));
  });
  return el('details', { className: 'attempts', open: list.length <= SHOWN_OPEN },
    el('summary', { id: summaryId }, '支付记录（共 ' + list.length + ' 次）'),
    el('div', { className: 'table-wrap' },
      el('table', { className: 'list cards' },
        el('thead', null, el('tr', null, COLUMNS.map(function (c) {
          return el('th', { scope: 'col' }, c);
        }))),
        el('tbody', null, rows))));
}

export { channel, gatewayUrl, submit, pay, paymentFacts, attempts, stateText,
         CHANNEL_NAMES, STATE_NAMES };
