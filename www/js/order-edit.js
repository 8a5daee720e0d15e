// order-edit.html?id=UO…&step=N: the steps of a draft (or rejected) order --
// 1 基本信息 (PUT /api/orders/{id}/info, fields by certificate type; until
// it is saved, filled in from GET …/prefill -- the verified identity, the
// account's phone, the certificate's earlier order -- with a note saying
// what came from where),
// 2 资料上传 (the order's materials, each uploaded with POST
// …/materials/{kind}, shown, replaced or deleted through upload.js,
// the application form to print beside its own; 下一步 once every
// required one is there), 3 开票信息 (PUT …/invoice, with 我的发票抬头
// to pick from), 4 订单提交 (the summary, the agreement and 领取方式,
// POST …/submit; a 422 `incomplete` lists what is missing; for a rejected
// order 重新提交, POST …/resubmit, once its `resubmission` allows it, and
// until then what is still missing). An order past its submission whose
// invoice is not issued yet (actions: invoice_edit) shows step 3 alone, to
// correct the title; saving goes back to the order. The step is in the
// address, so reload and back work. The 申请责任书 opens in a tab of its own and its
// version goes with the submission; what step 4 has chosen (the box,
// 领取方式, the address or pickup point) is kept in sessionStorage for the
// round trip to 新增地址, until the submission.
//
// This module is the page: it loads the order and what the steps need,
// draws the head and the step the address names. The steps are modules of
// their own under order-edit/: steps.js (the router: which step shows,
// going to one, saving a step's form), info.js (1), materials.js (2),
// invoice.js (3), submit.js (4); state.js holds the order they share.
import * as api from './api.js';
import { append, el, empty } from './ui/dom.js';
import { rejectedText, stateName } from './ui/format.js';
import { loadFailed, param } from './ui/page.js';
import * as agreements from './agreements.js';
import './nav.js';
import { state, flow, $, path, stepUrl, serviceVerb } from './order-edit/state.js';
import { showStep, currentStep } from './order-edit/steps.js';
import { renderInfo } from './order-edit/info.js';
import './order-edit/materials.js';
import { step as invoiceStep } from './order-edit/invoice.js';
import { renderDelivery, showAgreement } from './order-edit/submit.js';


// the title, the order's line, the links to its steps and pages, and the
// notice of a rejection
function renderHead() {
  const order = state.order;
  const name = order.service_name || '在线办理';
  document.title = name + '流程 - 在线服务厅';
  $('edit-title').textContent = name + '流程';
  $('edit-business').textContent = '订单号 ' + order.id + ' · ' + (order.business || '')
    + ' · ' + stateName(order.state, order.state_name, (order.delivery || {}).method);
  $('step-done').textContent = serviceVerb() + '成功';
  $('edit-order-link').href = '/order.html?id=' + encodeURIComponent(order.id);
  document.querySelectorAll('a[data-step]').forEach(function (a) {
    a.href = stepUrl(a.getAttribute('data-step'));
  });
  $('address-manage').href = '/addresses.html?next=' + encodeURIComponent(stepUrl(4));

  $('edit-rejected').hidden = order.state !== 'rejected';
  $('edit-rejected').textContent = rejectedText(order);
}

// the page from the order: the steps while it can be edited, step 3 alone
// while only its title can, else why nothing can be changed
function render() {
  const order = state.order;
  renderHead();
  state.editable = (order.actions || []).indexOf('edit') >= 0;
  state.titleOnly = !state.editable && (order.actions || []).indexOf('invoice_edit') >= 0;
  const locked = $('edit-locked');
  empty(locked);
  locked.hidden = state.editable || state.titleOnly;
  if (state.titleOnly) {
    // no longer the service's 流程: the one thing left to change
    $('edit-title').textContent = '修改开票信息';
    document.title = '修改开票信息 - 在线服务厅';
    invoiceStep.alone(order, state.titles, $('edit-order-link').href);
    return;
  }
  if (!state.editable) {
    append(locked, ['此订单当前状态为“' + stateName(order.state, order.state_name)
                       + '”，不能再修改。', el('a', { href: $('edit-order-link').href }, '查看订单详情')]);
    document.querySelectorAll('#edit section[id^="step-"]').forEach(function (s) {
      s.hidden = true;
    });
    return;
  }
  renderInfo();
  invoiceStep.render(order, state.titles);
  showStep(currentStep(), false);
}

flow.render = render;
flow.renderHead = renderHead;

function optional(p) {
  return p.then(null, function () { return null; });
}

state.id = param('id') || '';
if (!state.id) {
  window.location.replace('/orders.html');     // no order named: my orders
} else {
  Promise.all([
    api.mine(path()),
    optional(api.get('/api/invoice-titles')),
    optional(api.get('/api/addresses')),
    optional(api.get('/api/pickup-points')),
    optional(api.get(path('/prefill'))),
    optional(agreements.load('agreement'))
  ]).then(function (r) {
    state.order = r[0];
    state.prefill = r[4] ? r[4].fields || null : null;
    state.titles = (r[1] && r[1].invoice_titles) || [];
    state.addresses = r[2] ? r[2].addresses || [] : null;
    state.points = r[3] ? r[3].pickup_points || [] : null;
    if (r[5]) {
      showAgreement(r[5]);
    } else {
      $('sb-agreement-version').textContent = '申请责任书暂时无法加载，请稍后刷新页面。';
    }
    $('edit-loading').hidden = true;
    $('edit').hidden = false;
    renderDelivery();     // once: saving the other steps keeps what is chosen here
    render();
  }, loadFailed($('edit-loading')));
}
