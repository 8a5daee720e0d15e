// www/js/dates.js as the pages use it: dates shown as the seeds write them
// (2027年1月6日, Beijing time) and dates typed in either way the filters
// accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dates from '../../www/js/dates.js';

test('a plain date is that calendar day, whatever the zone', () => {
  assert.equal(dates.day('2027-01-06'), '2027年1月6日');
  assert.equal(dates.day('2026-12-31'), '2026年12月31日');
});

test('an instant is shown as the day and time in Beijing', () => {
  assert.equal(dates.day('2026-12-01T01:30:00Z'), '2026年12月1日');
  assert.equal(dates.day('2026-11-30T17:30:00Z'), '2026年12月1日');
  assert.equal(dates.time('2026-12-01T01:30:00+00:00'), '2026年12月1日 09:30');
  assert.equal(dates.time('2026-12-07T20:46:55.310542+08:00'), '2026年12月7日 20:46');
  assert.equal(dates.time('2027-01-06'), '2027年1月6日');
});

test('what is not a date is shown as its text, nothing as nothing', () => {
  assert.equal(dates.day(''), '');
  assert.equal(dates.day(null), '');
  assert.equal(dates.time(undefined), '');
  assert.equal(dates.day('明天'), '明天');
});

test('a typed date becomes the API\'s yyyy-mm-dd', () => {
  for (const typed of ['2026年12月7日', '2026年12月07日', '2026 年 12 月 7 日', '2026年12月7',
                       '2026-12-07', '2026-12-7', ' 2026/12/7 ', '2026.12.7',
                       '２０２６年１２月７日', '2026／12／07']) {
    assert.equal(dates.parse(typed), '2026-12-07', typed);
  }
  assert.equal(dates.parse('2024年2月29日'), '2024-02-29');
});

test('nothing typed is no filter; what is not a day is refused', () => {
  assert.equal(dates.parse(''), '');
  assert.equal(dates.parse('   '), '');
  assert.equal(dates.parse(null), '');
  for (const typed of ['2026年2月29日', '2026-13-01', '2026-00-10', '2026-04-31', '1899-12-31',
                       '3000-01-01', '2026-12/07', '26-12-07', '2026年12月', '20261207', '12/07/2026', 'abc']) {
    assert.equal(dates.parse(typed), null, typed);
  }
});

test('what is shown can be typed back', () => {
  assert.equal(dates.parse(dates.day('2026-03-05')), '2026-03-05');
});
