// order.html?id=UO…: one order (GET /api/orders/{id}) -- what it is for,
// its certificate, state, invoice state, amounts, the information (ID
// numbers masked as the server sends them), invoice information, delivery
// and the timeline (a shipment's note as 快递：…, a reason as 原因：…;
// pending_review as 资料待审核); 订单总价 and 订单实付; and the buttons its `actions` allow: 修改订单 and
// 提交订单 (the steps page), 取消订单 (POST …/cancel after a confirm()),
// and the application form to print; after a rejection, 重新提交 (POST
// …/resubmit) once the order's `resubmission` allows it, and before that
// what is still missing, each with a link to its step. 在线缴费: while
// pending_payment, 缴费方式 公对公转账 or 支付宝 (POST …/pay); once transfer
// is chosen, the bank details of the order's `transfer` and, while
// pending_voucher, the voucher's upload (POST …/voucher, through
// upload.js), after which the order is pending_review; the voucher
// uploaded, and the materials, shown. 支付宝 (alipay.js)
// sends the browser to Alipay's cashier, also from pending_voucher (改用
// 支付宝支付); once paid, the payment (支付方式, 交易号, 金额, 支付时间)
// and every attempt (支付记录) are shown. 物流状态 and 确认收货 are
// shipment.js's; 电子发票, 开具发票 and 下载发票
// einvoice.js's.
import * as api from './api.js';
import { checked } from './ui/forms.js';
import { hide, initForm, onSubmit, show, showApiError } from './ui/errors.js';
import { setBusy } from './ui/busy.js';
import { rules } from './ui/rules.js';
import { el, empty, facts, listNotice, missingList, stateBadge } from './ui/dom.js';
import {
  addressText, clause, delivery, eventNote, pickupText, rejectedText, remainingDays, stateName, yuan
} from './ui/format.js';
import { takeFlash } from './ui/flash.js';
import { loadFailed, param, toLogin } from './ui/page.js';
import * as dates from './dates.js';
import * as agreements from './agreements.js';
import * as upload from './upload.js';
import * as alipay from './alipay.js';
import * as shipment from './shipment.js';
import * as einvoice from './einvoice.js';
import './nav.js';

function $(id) {
  return document.getElementById(id);
}

var id = param('id') || '';
var order = null;
var voucherKind = null;   // the voucher's rules (GET /api/projects), if they load
var payForm = initForm($('pay-form'));
var VOUCHER = 'transfer_voucher';

var INFO_LABELS = [
  ['org_name', '单位名称'], ['uscc', '统一社会信用代码'],
  ['legal_name', '法定代表人姓名'], ['legal_id_number', '法定代表人身份证号码'],
  ['handler_name', '经办人姓名'], ['name', '姓名'], ['id_number', '身份证号码'],
  ['mobile', '手机号码'], ['email', '电子邮箱']
];
var TITLE_TYPES = { org: '单位', personal: '个人' };
var DELIVERY = { express: '快递邮寄', pickup: '受理点自取' };

function path(tail) {
  return '/api/orders/' + encodeURIComponent(id) + (tail || '');
}

function has(action) {
  return (order.actions || []).indexOf(action) >= 0;
}

function section(dl, none, rows) {
  facts(dl, rows);
  $(none).hidden = dl.childNodes.length > 0;
}

// 订单总价: fixed at the submission (the price until then)
function totalText() {
  return typeof order.amount_fen === 'number'
    ? yuan(order.amount_fen) : yuan(order.price_fen) + '（提交订单时确定）';
}

// 订单实付, as seed 000's 在线缴费 step: what has actually been paid
// (paid_fen: a transfer once finance has confirmed its voucher); before
// that ¥0.00 and why
function paidText() {
  if (order.paid_fen > 0) {
    return yuan(order.paid_fen);
  }
  var why = order.voucher_decision === 'refused' ? '转账凭证未通过'
    : order.voucher ? '待财务确认'
    : { draft: '待支付', pending_payment: '待支付', pending_voucher: '待上传凭证' }[order.state];
  return yuan(0) + (why ? '（' + why + '）' : '');
}

function renderFacts() {
  var c = order.certificate;
  var d = delivery(order.delivery);
  var state = stateName(order.state, order.state_name, d.method);
  facts($('order-facts'), [
    ['订单号', order.id],
    ['业务信息', order.business],
    c ? [String(order.service_name || '').replace(/^证书/, '') + '证书',
         c.name + (c.serial ? '（序列号 ' + c.serial + '）' : '')] : null,
    c ? ['证书有效期至', dates.day(c.valid_to)] : null,
    c ? ['证书剩余天数', remainingDays(c.remaining_days)] : null,
    ['订单状态', stateBadge(order.state, state)],
    ['发票状态', order.invoice_state_name],
    ['创建时间', dates.time(order.created_at)],
    ['提交日期', order.submitted_at ? dates.day(order.submitted_at) : '未提交'],
    ['订单总价', totalText()],
    ['订单实付', paidText()],
    (order.agreements || []).length ? null
      : ['申请责任书', order.agreed_at ? '已于 ' + dates.time(order.agreed_at) + ' 阅读并同意' : null]
  ].concat(agreedRows()));
}

// the versions of the texts agreed to, each a link to the text as it was
function agreedRows() {
  return (order.agreements || []).map(function (a) {
    return ['《' + a.name + '》', [
      el('a', { href: agreements.href(a.code, a.version), target: '_blank',
                rel: 'noopener' }, '第 ' + a.version + ' 版'),
      '，已于 ' + dates.time(a.agreed_at) + ' 阅读并同意']];
  });
}

function renderDetails() {
  var info = order.info || {};
  section($('info-facts'), 'info-none', INFO_LABELS.map(function (l) {
    return [l[1], info[l[0]]];
  }));

  var inv = order.invoice || {};
  section($('invoice-facts'), 'invoice-none', order.invoice ? [
    ['抬头类型', TITLE_TYPES[inv.title_type] || inv.title_type],
    ['发票抬头', inv.title],
    ['纳税人识别号', inv.taxpayer_id],
    ['电子邮箱', inv.email],
    ['手机号码', inv.mobile],
    ['发票备注', inv.remark]
  ] : []);

  var d = delivery(order.delivery);
  section($('delivery-facts'), 'delivery-none', order.delivery ? [
    ['领取方式', DELIVERY[d.method] || d.method],
    ['收件地址', d.method === 'express' ? addressText(d.address) : null],
    ['受理点', d.method === 'pickup' ? pickupText(d.pickup) || d.pickupCode : null]
  ] : []);
}

function renderTimeline() {
  var list = empty($('timeline'));
  (order.timeline || []).forEach(function (e) {
    list.appendChild(el('li', null,
      el('time', { dateTime: e.at || '' }, dates.time(e.at)),
      el('strong', null, e.action_name || stateName(e.to, e.to_name)),
      '：' + (e.from ? stateName(e.from, e.from_name) + ' → ' : '')
        + stateName(e.to, e.to_name),
      e.actor_name ? '（' + e.actor_name + '）' : null,
      e.reason ? el('span', { className: 'sub' }, eventNote(e)) : null));
  });
}

function renderActions() {
  var edit = '/order-edit.html?id=' + encodeURIComponent(order.id);
  $('act-edit').href = edit;
  $('act-edit').hidden = !has('edit');
  $('act-submit').href = edit + '&step=4';
  $('act-submit').hidden = !has('submit');
  $('act-cancel').hidden = !has('cancel');
  $('act-form').href = path('/application-form');
  $('act-form').hidden = !order.info || !has('edit');

  $('order-rejected').hidden = order.state !== 'rejected';
  $('order-rejected').textContent = rejectedText(order);
  renderResubmit();
}

// ------------------------------------------------------------------
// 重新提交: offered as soon as it is allowed; until then, what is missing

function renderResubmit() {
  var rs = order.state === 'rejected' ? order.resubmission : null;
  var missing = rs && !rs.allowed ? rs.missing || [] : [];
  $('act-resubmit').hidden = !has('resubmit');
  listNotice($('resubmit-todo'), '重新提交前还需完成：', missing, function (items) {
    return missingList(items, function (step) {
      return '/order-edit.html?id=' + encodeURIComponent(order.id) + '&step=' + step;
    });
  });
}

// an applicant's action on the whole order (重新提交, 取消订单): the
// answer is the order; a 409 or 422 reloads what it is now (and what is
// still missing)
function orderAction(btn, tail, done) {
  btn.disabled = true;
  hide($('order-error'));
  api.post(path(tail)).then(function (o) {
    btn.disabled = false;
    render(o);
    done();
  }, function (err) {
    btn.disabled = false;
    if (err.status === 401) {
      toLogin();
      return;
    }
    show($('order-error'), err.message);
    if (err.status === 409 || err.status === 422) {
      reload(null);
    }
  });
}

$('act-resubmit').addEventListener('click', function () {
  if (this.disabled) {
    return;
  }
  orderAction(this, '/resubmit', function () {
    show($('flash'), '订单已重新提交，资料将重新审核，审核结果将通过消息通知您。');
    $('order-title').focus();
  });
});

// ------------------------------------------------------------------
// 在线缴费

function renderPay() {
  var t = order.transfer;
  var choosing = order.state === 'pending_payment';
  var awaiting = order.state === 'pending_voucher';
  var info = order.info || {};
  var tries = Array.isArray(order.alipay_attempts) ? order.alipay_attempts : [];
  $('pay').hidden = !(choosing || awaiting || t || order.voucher || order.payment
                      || tries.length);
  $('pay-title').textContent = choosing || awaiting ? '在线缴费' : '缴费信息';

  payForm.hidden = !choosing;
  facts($('pay-amount'), [
    ['订单总价', el('strong', null, totalText())],
    ['订单实付', paidText()]
  ]);

  // paid by Alipay without a voucher: the bank details would only invite
  // a second payment
  var shown = t && !(order.payment && !order.voucher);
  $('transfer').hidden = !shown;
  if (shown) {
    facts($('transfer-facts'), [
      ['收款方', t.payee],
      ['收款银行账号', [t.bank, ' ', el('strong', { className: 'account-number' }, t.account)]],
      ['转账金额', el('strong', null, yuan(t.amount_fen))],
      ['付款单位', info.org_name || info.name],
      ['选择时间', t.chosen_at ? dates.time(t.chosen_at) : null]
    ]);
  }
  $('transfer-note').hidden = !awaiting;
  $('transfer-none').hidden = !(awaiting && !t);

  // finance sent the voucher back: why, and what to do, beside it (the
  // reason is the latest event's into pending_voucher)
  var refused = awaiting && order.voucher_decision === 'refused';
  var back = (order.timeline || []).filter(function (e) {
    return e.to === 'pending_voucher' && e.reason;
  });
  var reason = back.length ? back[back.length - 1].reason : null;
  $('voucher-refused').hidden = !refused;
  $('voucher-refused').textContent = refused
    ? '转账凭证未通过' + (reason ? '：' + clause(reason) : '')
      + '。请核对后在下方重新上传公对公转账凭证（付款单位名称须与申请单位名称一致），'
      + '也可以改用支付宝支付。'
    : '';

  // the voucher: its upload while awaited, else the one uploaded
  var box = empty($('voucher'));
  if (awaiting || order.voucher) {
    var k = voucherKind || {};
    var w = upload.material({
      material: {
        // its note is the 注 above it
        kind: VOUCHER, kind_name: k.name || '公对公转账凭证', note: null, hint: k.hint,
        required: true, formats: k.formats, max_bytes: k.max_bytes, file: order.voucher,
        sample_url: k.sample_url
      },
      url: path('/voucher'),
      editable: awaiting,
      uploaded: function () {
        reload('转账凭证已上传，订单已进入人工审核，请留意审核结果。');
      },
      refused: function (err) {
        if (err.status === 409) {
          reload(null);        // no longer awaiting a voucher: show what it is
        }
      }
    });
    box.appendChild(w.node);
  }
  renderAlipay(awaiting, tries);
}

// the Alipay payment that paid the order, 改用支付宝支付 while a voucher
// is awaited, and the 支付记录
function renderAlipay(awaiting, tries) {
  var p = order.payment;
  $('alipay-paid').hidden = !p;
  if (p) {
    facts($('alipay-facts'), alipay.paymentFacts(p));
  }
  $('alipay-switch').hidden = !awaiting;
  var box = empty($('alipay-attempts'));
  var list = alipay.attempts(tries, 'alipay-attempts-title');
  if (list) {
    box.appendChild(list);
  }
}

// 支付宝: the answer's form goes to Alipay (the page is leaving, so the
// button stays busy); a refusal is said where the button is, but a 409
// (paid or cancelled meanwhile) on top of the order, which is reloaded:
// the button and its place go with the state that refused it
function payAlipay(busy, errorBox) {
  busy(true);
  hide($('order-error'));
  return alipay.pay(path('/pay')).then(null, function (err) {
    busy(false);
    if (err.status === 401) {
      toLogin();
      return;
    }
    if (err.status === 409) {
      show($('order-error'), err.message);
      $('order-title').focus();
      reload(null);
      return;
    }
    errorBox(err);
  });
}

$('act-alipay').addEventListener('click', function () {
  var btn = this;
  if (btn.disabled) {
    return;
  }
  hide($('alipay-switch-error'));
  payAlipay(function (on) {
    btn.disabled = on;
    btn.textContent = on ? '正在前往支付宝…' : '改用支付宝支付';
  }, function (err) {
    show($('alipay-switch-error'), err.message);
  });
});

// back from Alipay with the browser's back button, the page as it was
// left (busy) comes back from the cache: what the order is now
window.addEventListener('pageshow', function (ev) {
  if (ev.persisted && order) {
    setBusy(payForm, false);
    $('act-alipay').disabled = false;
    $('act-alipay').textContent = '改用支付宝支付';
    reload(null);
  }
});

onSubmit(payForm, {
  method: rules.chosen('method', '请选择缴费方式。')
}, function () {
  var method = checked(payForm, 'method');
  if (method === 'alipay') {
    payAlipay(function (on) {
      setBusy(payForm, on);
    }, function (err) {
      showApiError(payForm, err);
    });
    return;
  }
  setBusy(payForm, true);
  api.post(path('/pay'), { method: method }).then(function (r) {
    setBusy(payForm, false);
    if (r && r.order) {
      render(r.order);
    } else {
      reload(null);
    }
    if (method === 'transfer') {
      show($('flash'), '已选择公对公转账，请按下面的收款信息转账，再上传转账凭证。');
      $('transfer-title').focus();
    }
  }, function (err) {
    setBusy(payForm, false);
    if (err.status === 401) {
      toLogin();
      return;
    }
    showApiError(payForm, err);
    if (err.status === 409) {
      reload(null);           // paid or cancelled meanwhile
    }
  });
});

// the materials uploaded (read only: they are changed on the steps page)
function renderMaterials() {
  var list = empty($('materials'));
  var all = Array.isArray(order.materials) ? order.materials : [];
  $('materials-card').hidden = all.length === 0;
  all.forEach(function (m) {
    list.appendChild(upload.material({
      material: m, url: m.file ? m.file.url : '', editable: false
    }).node);
  });
}

function render(o) {
  order = o;
  document.title = '订单 ' + order.id + ' - 在线服务厅';
  $('order-loading').hidden = true;
  $('order').hidden = false;
  renderFacts();
  renderPay();
  renderMaterials();
  renderDetails();
  renderTimeline();
  renderActions();
  shipment.render(order);
  einvoice.render(order);
}

// the order again (after the voucher, or a conflict); flash: what to say
function reload(flash) {
  api.mine(path()).then(function (o) {
    render(o);
    if (flash) {
      show($('flash'), flash);
      $('pay-title').focus();
    }
  }, function (err) {
    if (err.status === 401) {
      toLogin();
      return;
    }
    show($('order-error'), err.message);
  });
}

$('act-cancel').addEventListener('click', function () {
  if (this.disabled || !window.confirm('确定取消订单 ' + order.id + ' 吗？取消后不能恢复。')) {
    return;
  }
  orderAction(this, '/cancel', function () {
    show($('flash'), '订单已取消。');
  });
});

// 确认收货 (shipment.js asks first): the order is now 待开票
shipment.receipt({
  url: function () { return path('/confirm-receipt'); },
  confirmed: function (o) {
    render(o);
    hide($('order-error'));
    show($('flash'), '已确认收货，订单进入待开票，电子发票将自动开出。');
    $('order-title').focus();
  },
  refused: function (err) {
    if (err.status === 401) {
      toLogin();
      return;
    }
    show($('order-error'), err.message);
    $('order-title').focus();
    reload(null);     // confirmed meanwhile (or automatically): what it is now
  }
});

// 开具发票 (einvoice.js): the request is queued, the invoice comes by
// itself; a refusal (waiting for finance, no longer 待开票) is said in
// the card, and the order is shown as it is now
einvoice.request({
  url: function () { return path('/invoice-request'); },
  requested: function (o) {
    render(o);
    show($('flash'), '已提交开票申请，电子发票开出后将发送到您的邮箱，并可在此下载。');
    $('einvoice-title').focus();
  },
  refused: function () {
    reload(null);
  }
});

function start() {
  var flash = takeFlash();
  if (flash) {
    show($('flash'), flash);
  }
  Promise.all([
    api.mine(path()),
    api.get('/api/projects').then(null, function () { return null; })
  ]).then(function (r) {
    voucherKind = ((r[1] && r[1].material_kinds) || []).filter(function (k) {
      return k.kind === VOUCHER;
    })[0] || null;
    render(r[0]);
    // 我的订单's 已开票 links here: the card, once it is there
    if (window.location.hash === '#einvoice-card' && !$('einvoice-card').hidden) {
      $('einvoice-title').focus();
    }
  }, loadFailed($('order-loading')));
}

if (id) {
  start();
} else {
  window.location.replace('/orders.html');     // no order named: my orders
}
