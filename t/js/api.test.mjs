// The website's one way to call /api/ (www/js/api.js): what a form sends
// (urlencoded, as the API takes it), how an answer becomes the JSON or an
// error with the server's Chinese message (beside the field it names), and
// a visitor's page asking nothing that needs a session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, answer, ApiError, mine } from '../../www/js/api.js';

function res(status, headers = {}) {
  return { ok: status >= 200 && status < 300, status,
           headers: { get: (name) => headers[name.toLowerCase()] ?? null } };
}

function refusal(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('not refused');
}

test('a body is sent urlencoded: nothing for null, arrays repeat the name, Chinese as UTF-8', () => {
  assert.equal(encode({ phone: '13800138000', purpose: 'login' }).toString(),
               'phone=13800138000&purpose=login');
  assert.equal(encode({ a: null, b: undefined, c: 0, d: false }).toString(), 'c=0&d=false');
  assert.equal(encode({ kind: ['id_front', 'id_back'] }).toString(), 'kind=id_front&kind=id_back');
  assert.equal(encode({ title: '长沙 公司&1' }).toString(),
               'title=%E9%95%BF%E6%B2%99+%E5%85%AC%E5%8F%B8%261');
  assert.equal(encode(null), null);
  const p = new URLSearchParams('x=1');
  assert.equal(encode(p), p);
});

test('a good answer is its JSON', () => {
  assert.deepEqual(answer(res(200), '{"id":"UO1","state":"draft"}'), { id: 'UO1', state: 'draft' });
  assert.equal(answer(res(204), ''), null);
});

test("an error answer keeps the server's code, field and message", () => {
  const e = refusal(() => answer(res(422),
    '{"error":{"code":"invalid_field","field":"id_number","message":"身份证号码校验位错误"}}'));
  assert.equal(e.name, 'ApiError');
  assert.equal(e.status, 422);
  assert.equal(e.code, 'invalid_field');
  assert.equal(e.field, 'id_number');
  assert.equal(e.message, '身份证号码校验位错误');
  assert.equal(e.missing, null);
});

test('an incomplete order says what is missing', () => {
  const missing = [{ item: 'info', message: '请填写基本信息' }];
  const e = refusal(() => answer(res(422),
    JSON.stringify({ error: { code: 'incomplete', message: '订单尚未填写完整', missing } })));
  assert.equal(e.code, 'incomplete');
  assert.deepEqual(e.missing, missing);
});

test('too many requests: how long to wait comes from Retry-After', () => {
  const e = refusal(() => answer(res(429, { 'retry-after': '42' }), ''));
  assert.equal(e.retryAfter, 42);
  assert.equal(e.message, '操作过于频繁，请稍后再试。');
  assert.equal(e.code, 'http_429');
});

test('an answer without a message gets one a person understands', () => {
  assert.equal(refusal(() => answer(res(503), '')).message, '服务暂时不可用，请稍后再试。');
  assert.equal(refusal(() => answer(res(502), '<html>bad gateway</html>')).message,
               '服务暂时不可用，请稍后再试。');
  assert.equal(refusal(() => answer(res(418), '')).message, '请求失败（418），请稍后再试。');
  assert.equal(refusal(() => answer(res(413), '')).message, '提交的内容过大。');
  const odd = refusal(() => answer(res(200), 'not json'));
  assert.equal(odd.code, 'bad_response');
  assert.equal(odd.message, '服务器返回了无法识别的内容，请稍后再试。');
});

test("a full storage (507): the server's message, shown beside the file, and when to try again", () => {
  const e = refusal(() => answer(res(507, { 'retry-after': '60' }),
    '{"error":{"code":"storage_full","message":"服务器存储空间已满，文件未能保存，请稍后再试"}}'));
  assert.equal(e.status, 507);
  assert.equal(e.code, 'storage_full');
  assert.equal(e.message, '服务器存储空间已满，文件未能保存，请稍后再试');
  assert.equal(e.retryAfter, 60);
  // without the module's JSON (a proxy's page): still the storage, not "unavailable"
  assert.equal(refusal(() => answer(res(507), '<html>507</html>')).message,
               '服务器存储空间已满，文件未能保存，请稍后再试。');
});

test('an error object carries what the pages read', () => {
  const e = ApiError(0, 'network_error', null, '网络连接失败，请检查网络后重试。');
  assert.ok(e instanceof Error);
  assert.equal(e.status, 0);
  assert.equal(e.retryAfter, null);
});

test("a visitor's page asks nothing that needs a session: 401 at once, no request", async () => {
  const asked = [];
  globalThis.document = { cookie: '' };
  globalThis.fetch = (url) => { asked.push(url); return Promise.reject(new Error('no')); };
  try {
    await assert.rejects(mine('/api/me'), (e) => e.status === 401 && e.code === 'not_logged_in'
                                               && e.message === '请先登录');
    assert.deepEqual(asked, []);
  } finally {
    delete globalThis.document;
    delete globalThis.fetch;
  }
});
