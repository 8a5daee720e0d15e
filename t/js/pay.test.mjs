// Paying with Alipay (www/js/alipay.js): the phone cashier on a phone-sized
// screen, the computer one otherwise, and only an http(s) gateway is
// somewhere to send the browser; and back from Alipay (www/js/pay-verdict.js):
// which order the return address names, and what the page says and
// whether it reads the order again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, gatewayUrl } from '../../www/js/alipay.js';
import { orderOf, verdict } from '../../www/js/pay-verdict.js';

function screen(width) {
  return { matchMedia: (q) => ({ matches: q === '(max-width: 768px)' && width <= 768 }) };
}

test("Alipay's cashier for the screen: wap on a phone, page on a computer", () => {
  assert.equal(channel(screen(390)), 'wap');
  assert.equal(channel(screen(768)), 'wap');
  assert.equal(channel(screen(1280)), 'page');
  assert.equal(channel({}), 'page', 'no media queries: the computer cashier');
});

test('only an http(s) gateway is somewhere to send the browser', () => {
  const base = 'https://hall.example.cn/order.html';
  assert.equal(gatewayUrl({ gateway: 'https://openapi.alipay.com/gateway.do' }, base),
               'https://openapi.alipay.com/gateway.do');
  assert.equal(gatewayUrl({ gateway: 'http://127.0.0.1:3053/gateway.do' }, base),
               'http://127.0.0.1:3053/gateway.do');
  assert.equal(gatewayUrl({ gateway: 'javascript:alert(1)' }, base), null);
  assert.equal(gatewayUrl({ gateway: 'data:text/html,x' }, base), null);
});

test("the return address names the order: its id before the attempt's number", () => {
  assert.equal(orderOf('UO202612070930000001_3'), 'UO202612070930000001');
  for (const bad of ['', 'UO1', 'UO1_', '_3', 'UO-1_3', 'UO1_3_4', null, undefined]) {
    assert.equal(orderOf(bad), '', String(bad));
  }
});

test('what the order says of this payment', () => {
  const T = 'UO1_2';
  const attempt = (state) => [{ out_trade_no: T, state }];
  // paid and moved on: 支付成功
  assert.equal(verdict({ state: 'pending_review', payment: { method: 'alipay' } }, T), 'paid');
  // the notification not in yet: read again
  assert.equal(verdict({ state: 'pending_payment', alipay_attempts: attempt('open') }, T), 'waiting');
  assert.equal(verdict({ state: 'pending_payment' }, T), 'waiting');
  // this attempt closed while the order still waits: pay again
  assert.equal(verdict({ state: 'pending_payment', alipay_attempts: attempt('closed') }, T), 'closed');
  // paid, but the order was cancelled meanwhile: the money goes back
  assert.equal(verdict({ state: 'cancelled', alipay_attempts: attempt('paid') }, T), 'refund');
  // cancelled, this attempt closed: nothing to pay
  assert.equal(verdict({ state: 'cancelled', alipay_attempts: attempt('closed') }, T), 'settled');
  // cancelled while the attempt is open: its outcome still to come
  assert.equal(verdict({ state: 'cancelled', alipay_attempts: attempt('open') }, T), 'waiting');
  // another attempt's state says nothing of this one
  assert.equal(verdict({ state: 'pending_payment',
                         alipay_attempts: [{ out_trade_no: 'UO1_1', state: 'closed' }] }, T), 'waiting');
});
