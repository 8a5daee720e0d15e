// ?next= (www/js/ui/next.js): after logging in, the page goes where the
// address says only when that is a page of this site -- never to another
// site, whatever way it is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeNext } from '../../www/js/ui/next.js';

const HERE = 'https://hall.example.cn';

test('a path of this site is followed, with its query and hash', () => {
  assert.equal(safeNext('/order.html?id=UO1#pay', undefined, HERE), '/order.html?id=UO1#pay');
  assert.equal(safeNext('/order-edit.html?id=UO1&step=4', '/x', HERE), '/order-edit.html?id=UO1&step=4');
  assert.equal(safeNext('/a/../orders.html', undefined, HERE), '/orders.html');
});

test('another site, a scheme, or a path that is not plain goes to the account page', () => {
  for (const raw of ['//evil.example/x', 'https://evil.example/', 'javascript:alert(1)',
                     '/\\evil.example', 'orders.html', '/ orders.html', '/orders.html\n',
                     '/\u0000x', '', null, undefined, 42]) {
    assert.equal(safeNext(raw, undefined, HERE), '/account.html', JSON.stringify(raw));
  }
});

test('the fallback is the caller\'s when given', () => {
  assert.equal(safeNext('//evil.example', '/apply.html', HERE), '/apply.html');
  assert.equal(safeNext('https://evil.example', null, HERE), null);
});
