// Step 4 of order-edit.html, 订单提交: the summary of what is submitted
// (the order, its 基本信息 and 开票信息, for review) and what the other
// steps still lack; the 申请责任书 to agree to (its version goes with the
// submission); 领取方式 with the address or the pickup point; POST
// …/submit (a 422 `incomplete` lists what is missing). For a rejected
// order 重新提交, POST …/resubmit, once its `resubmission` allows it, and
// until then what is still missing. What is chosen here (the box,
// 领取方式, the address or pickup point) is kept in sessionStorage for the
// round trip to 新增地址, until the submission.
import * as api from '../api.js';
import { rules } from '../ui/rules.js';
import { checked, values } from '../ui/forms.js';
import { fieldError, hide, initForm, onSubmit, show, showApiError } from '../ui/errors.js';
import { setBusy } from '../ui/busy.js';
import { append, choice, el, empty, facts, listNotice, missingList as missingLinks } from '../ui/dom.js';
import { STEP_OF, delivery, remainingDays, yuan } from '../ui/format.js';
import { setFlash } from '../ui/flash.js';
import * as agreements from '../agreements.js';
import { state, $, path, stepUrl, toggle, serviceVerb, leftForLogin } from './state.js';
import { onShow } from './steps.js';
import { infoRows } from './info.js';
import { invoiceRows } from './invoice.js';

const form = initForm($('submit-form'));

// what is missing, each with a link to the step that fills it in
function missingList(items) {
  return missingLinks(items, stepUrl, 4);
}

// a part of the summary made once, after the order's facts: its heading,
// its facts, and 尚未填写 while there are none
function summaryPart(id, title) {
  let dl = $(id);
  if (!dl) {
    dl = el('dl', { className: 'facts', id: id });
    const none = el('p', { className: 'hint', id: id + '-none', hidden: true }, '尚未填写。');
    $('summary-missing').before(el('h3', null, title), dl, none);
  }
  return dl;
}

function summaryFacts(id, title, rows) {
  facts(summaryPart(id, title), rows);
  $(id + '-none').hidden = rows.length > 0;
}

export function renderSummary() {
  const order = state.order;
  const c = order.certificate;
  hide(form.querySelector('.form-error'));     // an answer to an older order
  facts($('summary'), [
    ['订单号', order.id],
    ['业务信息', order.business],
    c ? [serviceVerb() + '证书', c.name + (c.serial ? '（序列号 ' + c.serial + '）' : '')] : null,
    c ? ['证书剩余天数', remainingDays(c.remaining_days)] : null,
    ['订单总价', yuan(order.amount_fen !== null && order.amount_fen !== undefined
                         ? order.amount_fen : order.price_fen)]
  ]);
  summaryFacts('summary-info', '基本信息', infoRows(order));
  summaryFacts('summary-invoice', '开票信息', invoiceRows(order));
  const price = empty($('submit-price'));
  append(price, ['订单总价：', el('strong', null, yuan(order.price_fen))]);

  // a draft is submitted here, a rejected order resubmitted
  const open = (order.actions || []).indexOf('submit') >= 0;
  const rejected = order.state === 'rejected';
  form.hidden = !open;
  $('submit-closed').hidden = open || rejected;
  $('submit-closed-link').href = $('edit-order-link').href;
  $('resubmit-panel').hidden = !rejected;
  if (rejected) {
    renderResubmit();
  }

  // before submitting: what the other steps still lack
  const todo = (order.missing || []).filter(function (m) { return STEP_OF[m.item] !== 4; });
  listNotice($('summary-missing'), '提交前还需完成：', todo, missingList);
}

// 重新提交: the button once it is allowed, else what is still missing
function renderResubmit() {
  const order = state.order;
  const rs = order.resubmission || {};
  const missing = rs.allowed ? [] : rs.missing || [];
  listNotice($('resubmit-missing'), '重新提交前还需完成：', missing, missingList);
  $('resubmit-btn').hidden = (order.actions || []).indexOf('resubmit') < 0;
}

$('resubmit-btn').addEventListener('click', function () {
  const btn = this;
  if (btn.disabled) {
    return;
  }
  btn.disabled = true;
  hide($('resubmit-error'));
  api.post(path('/resubmit')).then(function () {
    setFlash('订单已重新提交，资料将重新审核，审核结果将通过消息通知您。');
    window.location.assign('/order.html?id=' + encodeURIComponent(state.id));
  }, function (err) {
    const order = state.order;
    btn.disabled = false;
    if (leftForLogin(err)) {
      return;
    }
    if (err.code === 'incomplete' && err.missing) {
      order.resubmission = { allowed: false, missing: err.missing,
                             rejection: (order.resubmission || {}).rejection };
      order.actions = (order.actions || []).filter(function (a) { return a !== 'resubmit'; });
      renderResubmit();
    }
    show($('resubmit-error'), err.message);
  });
});

function renderChoices(list, items, none, make) {
  empty(list);
  if (items === null) {
    list.appendChild(el('p', { className: 'hint' }, '暂时无法加载，请稍后刷新页面。'));
  } else if (!items.length) {
    list.appendChild(el('p', { className: 'hint' }, none));
  }
  (items || []).forEach(function (x) {
    list.appendChild(make(x));
  });
}

// the address an order was sent to (copied at submission) among the
// account's addresses, else the default one
function sameAddress(a, b) {
  return ['recipient', 'mobile', 'region', 'detail'].every(function (k) {
    return a[k] === b[k];
  });
}

export function renderDelivery() {
  const order = state.order;
  const d = delivery(order.delivery);
  const was = d.address && (state.addresses || []).filter(function (a) {
    return sameAddress(a, d.address);
  })[0];
  renderChoices($('address-list'), state.addresses, '您还没有收件地址，请先新增地址。', function (a) {
    return choice({
      name: 'address_id', id: 'addr-' + a.id, value: a.id,
      checked: was ? a === was : !!a.is_default,
      describedBy: 'sb-address-error'
    }, el('strong', null, a.recipient + ' ' + a.mobile + (a.is_default ? '（默认）' : '')),
       el('span', null, [a.region, a.detail, a.postal_code].filter(Boolean).join(' ')));
  });
  renderChoices($('pickup-list'), state.points, '暂无可选的受理点，请选择快递邮寄。', function (p) {
    return choice({
      name: 'pickup_point', id: 'pp-' + p.code, value: p.code,
      checked: p.code === d.pickupCode, describedBy: 'sb-pickup-error'
    }, el('strong', null, p.name),
       el('span', null, p.address),
       el('span', null, [p.phone && '电话 ' + p.phone, p.hours].filter(Boolean).join('，')));
  });
  if (d.method === 'express' || d.method === 'pickup') {
    form.elements.delivery.value = d.method;
  }
  $('sb-agree').checked = !!order.agreed_at;
  restoreChoices();
  fitDelivery();
}

// ------------------------------------------------------------------
// the 申请责任书, and what step 4 has chosen kept across 新增地址

export function showAgreement(a) {
  state.agreement = a;
  $('sb-agreement-link').href = agreements.href(a.code, a.version);
  $('sb-agreement-version').textContent = '《' + a.name + '》' + agreements.versionLine(a)
    + '。';
}

let touched = false;      // step 4 was changed since the page was loaded

function kept() {
  return 'certhall.submit.' + state.id;
}

// the chosen box of a group, also in the panel not shown now: a pickup
// point stays chosen while 快递邮寄 is looked at
function chosen(name) {
  const input = form.querySelector('input[name="' + name + '"]:checked');
  return input ? input.value : '';
}

function keepChoices() {
  touched = true;
  try {
    window.sessionStorage.setItem(kept(), JSON.stringify({
      agree: $('sb-agree').checked,
      agreement_version: state.agreement ? state.agreement.version : null,
      delivery: chosen('delivery'),
      address_id: chosen('address_id'),
      pickup_point: chosen('pickup_point')
    }));
  } catch (e) {
    // no storage (private mode): the choices are made again
  }
}

function keptChoices() {
  try {
    return JSON.parse(window.sessionStorage.getItem(kept()) || 'null');
  } catch (e) {
    return null;
  }
}

function forgetChoices() {
  touched = false;
  try {
    window.sessionStorage.removeItem(kept());
  } catch (e) {
    // nothing kept
  }
}

function pick(name, value) {
  const input = value ? form.querySelector('input[name="' + name + '"][value="'
                                           + String(value).replace(/["\\]/g, '') + '"]')
                      : null;
  if (input) {
    input.checked = true;
  }
}

// what was chosen before leaving for 新增地址: the box only for the
// version still current, the address only if it is still there
function restoreChoices() {
  const k = keptChoices();
  if (!k) {
    return;
  }
  $('sb-agree').checked = !!k.agree && !!state.agreement
    && k.agreement_version === state.agreement.version;
  if (k.delivery === 'express' || k.delivery === 'pickup') {
    form.elements.delivery.value = k.delivery;
  }
  pick('address_id', k.address_id);
  pick('pickup_point', k.pickup_point);
}

function fitDelivery() {
  const how = checked(form, 'delivery');
  toggle($('express-panel'), how === 'express');
  toggle($('pickup-panel'), how === 'pickup');
}

form.addEventListener('change', function (ev) {
  if (ev.target.name === 'delivery') {
    fitDelivery();
  }
  keepChoices();
});
$('address-manage').addEventListener('click', keepChoices);
// leaving by another way (我的地址 in the menu, back): kept the same
window.addEventListener('pagehide', function () {
  if (touched && state.order && state.order.state === 'draft') {
    keepChoices();
  }
});

function incomplete(err) {
  const box = form.querySelector('.form-error');
  empty(box);
  append(box, [(err.missing.length ? '订单尚未填写完整：' : err.message),
                  missingList(err.missing)]);
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

onSubmit(form, {
  agree: function () {
    return !$('sb-agree').checked ? '请阅读并同意《数字证书申请责任书》。'
           : state.agreement ? null : '申请责任书尚未加载，请刷新页面后重试。';
  },
  delivery: rules.chosen('delivery', '请选择领取方式。'),
  address_id: rules.chosen('address_id', '请选择收件地址。'),
  pickup_point: rules.chosen('pickup_point', '请选择受理点。')
}, function () {
  const body = values(form);
  if (body.delivery === 'express' && !body.address_id) {
    show($('sb-address-error'), '请先新增收件地址。');
    return;
  }
  if (body.delivery === 'pickup' && !body.pickup_point) {
    show($('sb-pickup-error'), '暂无可选的受理点，请选择快递邮寄。');
    return;
  }
  body.agreement_version = state.agreement.version;
  setBusy(form, true);
  api.post(path('/submit'), body).then(function () {
    forgetChoices();
    setFlash('订单已提交，请在订单详情中完成在线缴费。');
    window.location.assign('/order.html?id=' + encodeURIComponent(state.id));
  }, function (err) {
    setBusy(form, false);
    if (leftForLogin(err)) {
      return;
    }
    if (err.code === 'incomplete' && err.missing) {
      incomplete(err);
    } else if (err.code === 'agreement_changed') {
      // the text changed while it was read: the new version, agreed again
      $('sb-agree').checked = false;
      keepChoices();
      agreements.load('agreement').then(showAgreement, function () {
        state.agreement = null;
      }).then(function () {
        fieldError($('sb-agree'), err.message);
        $('sb-agree').focus();
      });
    } else {
      showApiError(form, err);
    }
  });
});

onShow(4, renderSummary);
