// The order page's 电子发票 card (order.html; order.js calls it).
//
//   einvoice.render(order)          the card from order.einvoice, shown
//       from 待开票 on, or as soon as the order has an invoice request:
//       发票状态 (未开票 / 开票中 / 已开票), and once issued 发票代码,
//       发票号码, 开票日期 (Beijing), 价税合计, 发票抬头, 发送至 (the
//       e-mail it went to) and 下载发票 (download_url: the PDF, saved);
//       the server's message line (发票开具中, 发票开具遇到问题，财务正在处理,
//       …); 已冲红重开 when finance reversed an earlier invoice and issued
//       this one. Buttons as the order's `actions` allow: 开具发票
//       (invoice_request) and 修改开票信息 (invoice_edit: the invoice step
//       of order-edit.html, which then edits the title alone).
//   einvoice.request({ url, requested(order), refused(err) })
//       wires 开具发票: POST url() with no body; requested gets the order
//       the server answers. A refusal is said in the card (401: to the
//       login page); one the order itself explains (404, 409:
//       发票开具遇到问题，财务正在处理, no longer 待开票) also goes to
//       refused, which reloads the order.
import * as api from './api.js';
import { hide, show } from './ui/errors.js';
import { el, empty, facts } from './ui/dom.js';
import { yuan } from './ui/format.js';
import { toLogin } from './ui/page.js';
import * as dates from './dates.js';

function $(id) {
  return document.getElementById(id);
}

var STATE_NAMES = { none: '未开票', pending: '开票中', issued: '已开票' };
var SHOWN_FROM = ['pending_invoice', 'completed'];

function has(order, action) {
  return (order.actions || []).indexOf(action) >= 0;
}

// the PDF's own address only: a path of this site
function downloadLink(e) {
  var url = String(e.download_url || '');
  if (url.charAt(0) !== '/' || url.charAt(1) === '/') {
    return null;
  }
  return el('a', { href: url, className: 'btn btn-secondary einvoice-download', download: '' },
            '下载发票',
            el('span', { className: 'visually-hidden' }, '（PDF，发票号码 ' + (e.fphm || '') + '）'));
}

function rows(order, e) {
  var issued = e.state === 'issued';
  return [
    ['发票状态', el('span', { className: 'badge badge-invoice badge-invoice-' + (e.state || 'none') },
                    order.invoice_state_name || STATE_NAMES[e.state] || e.state)],
    ['发票代码', issued ? el('span', { className: 'num' }, e.fpdm) : null],
    ['发票号码', issued ? el('span', { className: 'num' }, e.fphm) : null],
    ['开票日期', issued ? dates.time(e.kprq) : null],
    ['价税合计', issued && typeof e.total_fen === 'number' ? yuan(e.total_fen) : null],
    ['发票抬头', e.title],
    ['发送至', issued ? e.email : null]
  ];
}

function render(order) {
  var e = order.einvoice;
  var shown = !!e || SHOWN_FROM.indexOf(order.state) >= 0;
  $('einvoice-card').hidden = !shown;
  if (!shown) {
    return;
  }
  e = e || { state: order.invoice_state || 'none' };
  facts($('einvoice-facts'), rows(order, e));

  var msg = e.message || (e.state === 'none' && order.state === 'pending_invoice'
    ? '电子发票将自动开出，也可以点击【开具发票】立即开具。' : '');
  // not twice what the card says already: 发送至, or the refusal above
  var error = $('einvoice-error');
  if (msg === '已发送至 ' + e.email || (!error.hidden && msg === error.textContent)) {
    msg = '';
  }
  $('einvoice-message').textContent = msg;
  $('einvoice-message').hidden = !msg;
  $('einvoice-corrected').hidden = !e.corrected;

  var box = empty($('einvoice-download'));
  var link = e.state === 'issued' ? downloadLink(e) : null;
  if (link) {
    box.appendChild(link);
  }
  box.hidden = !link;

  $('act-invoice').hidden = !has(order, 'invoice_request');
  var edit = $('act-invoice-edit');
  edit.hidden = !has(order, 'invoice_edit');
  edit.href = '/order-edit.html?id=' + encodeURIComponent(order.id) + '&step=3';
}

function request(o) {
  var btn = $('act-invoice');

  btn.addEventListener('click', function () {
    if (btn.disabled) {
      return;
    }
    btn.disabled = true;
    btn.textContent = '正在提交…';
    hide($('einvoice-error'));
    api.post(o.url()).then(function (order) {
      btn.disabled = false;
      btn.textContent = '开具发票';
      o.requested(order);
    }, function (err) {
      btn.disabled = false;
      btn.textContent = '开具发票';
      if (err.status === 401) {
        toLogin();
        return;
      }
      show($('einvoice-error'), err.message);
      if (err.status === 404 || err.status === 409) {
        o.refused(err);
      }
    });
  });
}

export { render, request };
