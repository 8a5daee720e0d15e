// The checks a form makes before sending (www/js/ui/rules.js, with
// www/js/fields.js and the generated field-rules.js): the server's own
// rules and messages, so what the page refuses is what the server would.
// (t/tools/field-rules.t runs thousands of values through both sides; here
// the cases an applicant meets.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rules, normalizePhone } from '../../www/js/ui/rules.js';

test('a phone number is taken as people write it, and refused when it is none', () => {
  for (const typed of ['13800138000', ' 13800138000 ', '+86 138 0013 8000', '8613800138000']) {
    assert.equal(rules.phone(typed), null, typed);
    assert.equal(normalizePhone(typed), '13800138000', typed);
  }
  assert.match(rules.phone(''), /手机号/);
  assert.match(rules.phone('12800138000'), /手机号/);
  assert.match(rules.phone('1380013800'), /手机号/);
});

test('an ID number with a wrong check digit is refused with that reason', () => {
  const id = rules.field('org_info', 'legal_id_number');
  assert.equal(id('110101199003077758'), null);
  assert.match(id('110101199003077750'), /校验位/);
  assert.match(id(''), /请输入|身份证/);
  assert.equal(rules.idNumber('11010519491231002X'), null);
  assert.equal(rules.idNumber('11010519491231002x'), null);
});

test('a 统一社会信用代码 with a wrong check character is refused with that reason', () => {
  const uscc = rules.field('org_info', 'uscc');
  assert.equal(uscc('91350100M000100Y43'), null);
  assert.match(uscc('91350100M000100Y44'), /统一社会信用代码.*校验位/);
  assert.match(uscc('9135010'), /统一社会信用代码/);
});

test('a password follows the policy; logging in only needs one', () => {
  assert.equal(rules.password('Apply5er2027'), null);
  assert.ok(rules.password('abc'));
  assert.ok(rules.password('abcdefgh'), 'letters only');
  assert.equal(rules.currentPassword('abc'), null, 'an old password still logs in');
  assert.ok(rules.currentPassword(''));
});

test("an invoice title's 纳税人识别号: required of a unit, optional for a person", () => {
  const form = (type) => ({
    querySelector: (sel) => (sel === `input[name="title_type"]:checked` && type
      ? { value: type, matches: () => false } : null)
  });
  assert.ok(rules.taxpayerId('', form('org')), 'a unit must give it');
  assert.equal(rules.taxpayerId('91350100M000100Y43', form('org')), null);
  assert.equal(rules.taxpayerId('', form('personal')), null, 'a person may leave it empty');
});

test('one of a group must be chosen', () => {
  const none = { querySelector: () => null };
  assert.equal(rules.chosen('delivery', '请选择领取方式。')('', none), '请选择领取方式。');
});
