// pay-return.html: where Alipay sends the applicant's browser back after
// paying (the return_url). Its query (out_trade_no, trade_no,
// total_amount, sign …) only points at the order: out_trade_no "UO…_3"
// is the order's id, "_", the attempt's number. Nothing in it is proof of
// payment -- anyone can type such an address, and the page checks no
// signature. What the page says is the order's (GET /api/orders/{id}),
// read every 2 seconds for up to 2 minutes while the order still awaits
// its money: 支付成功，等待审核 once the order is pending_review with an
// Alipay payment, i.e. once the verified notification (or the back
// office's query of Alipay) has moved it. After 2 minutes, a note and 刷新,
// which reads it again for 2 more.
import * as api from './api.js';
import { hide, show } from './ui/errors.js';
import { el, facts, stateBadge } from './ui/dom.js';
import { delivery, stateName as applicantStateName, yuan } from './ui/format.js';
import { param, toLogin } from './ui/page.js';
import * as dates from './dates.js';
import { orderOf, verdict as verdictOf, AWAITING } from './pay-verdict.js';
import './nav.js';


function $(id) {
  return document.getElementById(id);
}

var INTERVAL_MS = 2000;
var LIMIT_MS = 2 * 60 * 1000;
var outTradeNo = param('out_trade_no') || '';
var id = orderOf(outTradeNo);
var deadline = 0;
var timer = null;

// paid, refund, settled, closed or waiting (pay-verdict.js)
function verdict(o) {
  return verdictOf(o, outTradeNo);
}

// the same words again each 2 s are left alone: a screen reader would
// read them out again
function status(text, waiting) {
  var s = $('result-status');
  if (s.textContent !== text) {
    s.textContent = text;
  }
  s.hidden = !text;
  s.classList.toggle('waiting', !!waiting);
}

function problem(text) {
  if (text) {
    show($('result-problem'), text);
  } else {
    hide($('result-problem'));
  }
}

function render(o, v) {
  var p = o.payment;
  var stateName = applicantStateName(o.state, o.state_name, delivery(o.delivery).method);
  facts($('result-facts'), [
    ['订单号', o.id],
    ['业务信息', o.business],
    ['订单状态', stateBadge(o.state, stateName)],
    ['订单金额', el('strong', null, yuan(o.amount_fen))],
    p ? ['支付方式', '支付宝'] : null,
    p ? ['支付宝交易号', el('span', { className: 'trade-no' }, p.trade_no)] : null,
    p && p.paid_at ? ['支付时间', dates.time(p.paid_at)] : null
  ]);
  $('result-order').href = '/order.html?id=' + encodeURIComponent(o.id);
  $('result-order').hidden = false;

  $('result-paid').hidden = v !== 'paid';
  $('result-paid').textContent = o.state === 'pending_review' ? '支付成功，等待审核' : '支付成功';
  problem(v === 'refund'
    ? '支付宝已收到这笔付款，但订单已取消或已通过其他方式付款，这笔付款将原路退回，请留意消息通知。'
    : v === 'closed' ? '本次支付已关闭。如需付款，请返回订单重新支付。' : null);
  status(v === 'paid' ? (o.state === 'pending_review'
                           ? '订单已进入人工审核，审核结果将通过消息通知您。'
                           : '订单当前状态：' + stateName + '。')
         : v === 'settled' ? '订单当前状态：' + stateName + '，无需再支付。'
         : v === 'waiting' ? (AWAITING[o.state] ? '' : '订单当前状态：' + stateName + '。')
                             + '正在确认支付结果，请稍候…收到支付宝的付款通知后，本页会自动更新。'
         : '', v === 'waiting');
  $('result-timeout-text').textContent = '暂未收到支付宝的付款结果。如您已付款，请稍后点击“刷新”'
    + (AWAITING[o.state] ? '；如未付款，可返回订单重新支付。' : '查看。');
}

function stop() {
  clearTimeout(timer);
  timer = null;
}

function later() {
  if (Date.now() + INTERVAL_MS > deadline) {
    // 2 minutes without news: say so, and let the applicant ask again
    status('', false);
    $('result-timeout').hidden = false;
    return;
  }
  timer = setTimeout(poll, INTERVAL_MS);
}

function poll() {
  timer = null;
  api.mine('/api/orders/' + encodeURIComponent(id)).then(function (o) {
    var v = verdict(o);
    render(o, v);
    if (v === 'waiting') {
      later();
    }
  }, function (err) {
    if (err.status === 401) {
      toLogin();
      return;
    }
    if (err.status === 404 || err.status === 403) {
      status('', false);
      problem('未找到这笔支付对应的订单，请在“我的订单”中查看。');
      return;
    }
    // no answer, or the hall busy: try again while there is time
    status(err.message + ' 正在重试…', true);
    later();
  });
}

$('result-refresh').addEventListener('click', function () {
  $('result-timeout').hidden = true;
  stop();
  deadline = Date.now() + LIMIT_MS;
  status('正在查询订单…', true);
  poll();
});

if (!id) {
  status('', false);
  problem('没有找到要查询的支付，请在“我的订单”中查看订单状态。');
} else {
  deadline = Date.now() + LIMIT_MS;
  poll();
}
