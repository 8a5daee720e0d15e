// Values as the applicant's pages say them (www/js/ui/format.js): money
// in yuan, how long to wait, the days a certificate has left, an order's
// state, a rejection's notice, an address and a delivery; and the pages
// of a list (www/js/ui/pager.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yuan, formatDuration, remainingDays, stateName, eventNote, rejectedText, clause,
         addressText, pickupText, delivery } from '../../www/js/ui/format.js';
import { pageOf } from '../../www/js/ui/pager.js';

test('money in fen is shown in yuan with two decimals', () => {
  assert.equal(yuan(30000), '¥300.00');
  assert.equal(yuan(35050), '¥350.50');
  assert.equal(yuan(5), '¥0.05');
  assert.equal(yuan(0), '¥0.00');
  assert.equal(yuan(-1999), '-¥19.99');
  for (const none of [null, undefined, '300', NaN, Infinity]) {
    assert.equal(yuan(none), '—', String(none));
  }
});

test('a wait is said rounded up, never promising too early', () => {
  assert.equal(formatDuration(59), '59 秒');
  assert.equal(formatDuration(58.1), '59 秒');
  assert.equal(formatDuration(59.2), '1 分钟');
  assert.equal(formatDuration(60), '1 分钟');
  assert.equal(formatDuration(61), '2 分钟');
  assert.equal(formatDuration(3600), '1 小时');
  assert.equal(formatDuration(3600 + 20 * 60), '1 小时 20 分钟');
  assert.equal(formatDuration(-5), '0 秒');
});

test('证书剩余天数: days left, or how long ago it expired', () => {
  assert.equal(remainingDays(730), '730天');
  assert.equal(remainingDays(0), '0天');
  assert.equal(remainingDays(-5), '已过期 5 天');
  assert.equal(remainingDays(undefined), '—');
});

test("an order's state in the applicant's words", () => {
  assert.equal(stateName('pending_review', '待审核'), '资料待审核');
  assert.equal(stateName('pending_shipment', '待发货', 'pickup'), '待自取');
  assert.equal(stateName('pending_shipment', '待发货', 'express'), '待发货');
  assert.equal(stateName('pending_payment', '待支付'), '待支付');
  assert.equal(stateName('odd'), 'odd');
});

test('an event says what its note is', () => {
  assert.equal(eventNote({ action: 'ship', reason: '顺丰速运 SF1419246087532' }), '快递：顺丰速运 SF1419246087532');
  assert.equal(eventNote({ action: 'pick_up', reason: '本人' }), '自取：本人');
  assert.equal(eventNote({ action: 'reject', reason: '营业执照不清晰' }), '原因：营业执照不清晰');
  assert.equal(eventNote({ action: 'submit' }), '');
});

test('a rejected order gives the reason of its last rejection', () => {
  const order = { timeline: [{ to: 'rejected', reason: '第一次' }, { to: 'pending_review' },
                             { to: 'rejected', reason: '营业执照不清晰' }] };
  assert.equal(rejectedText(order), '审核未通过：营业执照不清晰。请按要求修改订单后重新提交。');
  assert.equal(rejectedText({ timeline: [{ to: 'rejected' }] }), '审核未通过。请按要求修改订单后重新提交。');
  assert.equal(rejectedText({ timeline: [{ to: 'rejected', reason: '请重新上传营业执照。' }] }),
               '审核未通过：请重新上传营业执照。请按要求修改订单后重新提交。');
});

test('a sentence goes on after a colon without its end punctuation', () => {
  assert.equal(clause('凭证金额与订单金额不符。'), '凭证金额与订单金额不符');
  assert.equal(clause('文件过大！ \n'), '文件过大');
  assert.equal(clause('请稍后再试，'), '请稍后再试');
  assert.equal(clause('身份证号码与姓名不一致'), '身份证号码与姓名不一致');
  assert.equal(clause('1.5'), '1.5');
  assert.equal(clause(null), '');
});

test('an address and a pickup point as one line', () => {
  assert.equal(addressText({ region: '湖南省长沙市岳麓区', detail: '麓山南路 1 号', recipient: '张三',
                             mobile: '138****0001', postal_code: '410000' }),
               '湖南省长沙市岳麓区 麓山南路 1 号，张三 收，138****0001，邮编 410000');
  assert.equal(addressText(null), '');
  assert.equal(pickupText({ name: '长沙受理点', address: '芙蓉路 1 号', phone: '0731-1', hours: '9:00-17:00' }),
               '长沙受理点，芙蓉路 1 号，电话 0731-1，9:00-17:00');
});

test("an order's delivery is read one way, whichever form the server gave", () => {
  const express = delivery({ method: 'express', recipient: '张三', region: 'R', detail: 'D' });
  assert.equal(express.method, 'express');
  assert.equal(express.address.recipient, '张三');
  assert.equal(express.pickupCode, null);
  const byCode = delivery({ method: 'pickup', pickup_point: 'CS01', name: '长沙受理点' });
  assert.equal(byCode.pickupCode, 'CS01');
  assert.equal(byCode.pickup.name, '长沙受理点');
  const byObject = delivery({ method: 'pickup', pickup_point: { code: 'CS02', name: '河西受理点' } });
  assert.equal(byObject.pickupCode, 'CS02');
  assert.equal(byObject.pickup.name, '河西受理点');
  assert.deepEqual(delivery(null), { method: null, address: null, pickupCode: null, pickup: null });
});

test('a list of 93 at 20 a page has 5 pages; the page asked for is kept within them', () => {
  assert.deepEqual(pageOf({ total: 93, page: 2, per_page: 20 }), { page: 2, pages: 5 });
  assert.deepEqual(pageOf({ total: 93, page: 9, per_page: 20 }), { page: 5, pages: 5 });
  assert.deepEqual(pageOf({ total: 93, page: 0 }), { page: 1, pages: 5 });
  assert.deepEqual(pageOf({ total: 0, page: 1, per_page: 20 }), { page: 1, pages: 1 });
  assert.deepEqual(pageOf({ total: 40, page: 2, per_page: 20 }), { page: 2, pages: 2 });
});
