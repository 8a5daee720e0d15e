// orders.html, 我的订单: the filters (申请项目, 业务类型, 订单状态,
// 订单号/证书名称/证件号码, 提交时间) live in the page's address, so reload
// and back keep them; GET /api/orders with them and the page, newest first,
// shown as the seeds' table, with 查看订单 for each (and 已开票 a link to
// the order's 电子发票). Each cell carries its column's name
// (data-label), which a phone shows beside it when the rows become cards
// (site.css).
import * as api from './api.js';
import { fillForm } from './ui/forms.js';
import { clearErrors, fieldError } from './ui/errors.js';
import { el, fill, stateBadge } from './ui/dom.js';
import { stateName, yuan } from './ui/format.js';
import { loadFailed } from './ui/page.js';
import { pager } from './ui/pager.js';
import * as dates from './dates.js';
import './nav.js';


function $(id) {
  return document.getElementById(id);
}

var FILTERS = ['project', 'service', 'state', 'q', 'from', 'to'];
var DATES = ['from', 'to'];
var PER_PAGE = 20;
var form = $('filter-form');
var query = new URLSearchParams(window.location.search);

// the address's filters as the API takes them (empty ones left out; a
// date typed as 2026年12月7日 as 2026-12-07, one that is no day as it is,
// for the API to refuse)
function filters() {
  var f = {};
  FILTERS.forEach(function (k) {
    var v = (query.get(k) || '').trim();
    if (v && DATES.indexOf(k) >= 0) {
      v = dates.parse(v) || v;
    }
    if (v) {
      f[k] = v;
    }
  });
  return f;
}

function href(page, f) {
  var p = new URLSearchParams(f || filters());
  if (page > 1) {
    p.set('page', String(page));
  }
  var s = p.toString();
  return '/orders.html' + (s ? '?' + s : '');
}

// the table's column names, for the cells of a row shown as a card
var LABELS = Array.prototype.map.call(
  document.querySelectorAll('#orders-wrap thead th'),
  function (th) { return th.textContent; });

// 发票状态; 已开票 leads to the order's 电子发票 card (its download)
function invoiceCell(o, detail) {
  var name = o.invoice_state_name || '';
  if (o.invoice_state !== 'issued') {
    return name;
  }
  return el('a', { href: detail + '#einvoice-card',
                   'aria-label': name + '，查看订单 ' + o.id + ' 的电子发票' }, name);
}

function row(o) {
  var detail = '/order.html?id=' + encodeURIComponent(o.id);
  var cells = [
    el('td', { className: 'num order-id' }, o.id),
    el('td', null, o.name || '—', o.id_number ? el('span', { className: 'sub' }, o.id_number) : null),
    el('td', { className: 'business' }, o.business || o.project_name || '',
       typeof o.amount_fen === 'number' ? el('span', { className: 'sub' }, yuan(o.amount_fen)) : null),
    el('td', { className: 'num' }, o.submitted_at ? dates.day(o.submitted_at) : '未提交'),
    el('td', null, stateBadge(o.state, stateName(o.state, o.state_name))),
    el('td', null, invoiceCell(o, detail)),
    el('td', { className: 'num actions' },
       el('a', { href: detail, 'aria-label': '查看订单 ' + o.id }, '查看订单'))
  ];
  cells.forEach(function (td, i) {
    if (LABELS[i]) {
      td.setAttribute('data-label', LABELS[i]);
    }
  });
  return el('tr', null, cells);
}

function render(r) {
  var orders = (r && r.orders) || [];
  fill($('orders-body'), orders, row);
  $('orders-loading').hidden = true;
  $('orders-wrap').hidden = orders.length === 0;
  $('orders-empty').hidden = orders.length > 0;
  $('orders-empty').textContent = Object.keys(filters()).length
    ? '没有符合条件的订单。' : '您还没有订单。';
  pager($('orders-pager'), r, function (page) { return href(page); });
}

// 搜索: the filters into the address (page 1), and the page loads anew;
// 提交时间 typed as 2026年12月7日 or 2026-12-07 goes as the API's
// 2026-12-07, and a day that is not one is said beside the field
form.addEventListener('submit', function (ev) {
  ev.preventDefault();
  clearErrors(form);
  var f = {}, wrong = null;
  FILTERS.forEach(function (k) {
    var input = form.elements[k];
    var v = input.value.trim();
    if (DATES.indexOf(k) >= 0) {
      v = dates.parse(v);
      if (v === null) {
        wrong = wrong || input;
        return;
      }
    }
    if (v) {
      f[k] = v;
    }
  });
  if (wrong) {
    fieldError(wrong, '请按 2026年12月7日 或 2026-12-07 的格式填写提交时间');
    wrong.focus();
    return;
  }
  window.location.assign(href(1, f));
});

api.get('/api/projects').then(function (r) {
  ((r && r.projects) || []).forEach(function (p) {
    form.elements.project.appendChild(el('option', { value: p.code }, p.name));
  });
}, function () { /* the list without its names: "全部项目" still works */ })
  .then(function () {
    var f = filters();
    DATES.forEach(function (k) {
      if (f[k]) {
        f[k] = dates.day(f[k]);     // 2026-12-07 in the address, 2026年12月7日 shown
      }
    });
    fillForm(form, f, FILTERS);
  });

var page = Math.max(1, parseInt(query.get('page'), 10) || 1);
var params = filters();
params.page = page;
params.per_page = PER_PAGE;
api.mine('/api/orders', params).then(render, loadFailed($('orders-loading')));
