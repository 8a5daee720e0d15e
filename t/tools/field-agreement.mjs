// The website's field checks against the module's, value by value: run by
// t/tools/field-rules.t as
//
//   node t/tools/field-agreement.mjs REPO build/bin/field-verdicts
//
// It imports www/js/fields.js (and its field-rules.js) and www/js/ui/rules.js's
// rules as the pages do (ES modules, no DOM needed), runs every field of every form of
// lib/ch_field_specs.c over the same values -- the vectors of
// ../shared/reference/validators.md, each kind's edge cases (the account
// forms' passwords, codes and purposes among them, with blanks and NULs),
// and each field's boundary lengths and numbers -- through fields.check()
// and through the C (build/bin/field-verdicts: ch_fields_check), and prints
// one JSON object: how many cases, the disagreements (why, value kept,
// message), and the page scripts' rules.field() and ui/rules.js's
// accountRule() names no form has.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const [root, verdicts] = process.argv.slice(2);
const TODAY = 20261121;

// the modules as the pages import them (ui/rules.js: its account rules are
// made at import, so a name no form has fails here)
const js = (f) => import(pathToFileURL(path.join(root, 'www/js', f)).href);
const fields = await js('fields.js');
const { fieldRules: rules } = await js('field-rules.js');
await js('ui/rules.js');

// --- the values ---------------------------------------------------------

const common = [
  null, '', '   ', '\u3000', '\t\r\n',
  // mobile numbers
  '13800138000', ' 13800138000 ', '\u300013800138000\u3000', '+86 138 0013 8000',
  '86-13800138000', '8613800138000', '+8613800138000', '+13800138000',
  '12800138000', '1380013800', '138001380001', '138-0013-8000', '+86+13800138000',
  '008613800138000', '86 12800138000', '10086', '１３８００１３８０００',
  // e-mail addresses
  'a@b.cn', 'a@b.c', 'ab@c.d0', 'user.name+tag@example.com', '.a@b.cn', 'a.@b.cn',
  'a..b@c.cn', 'a@-b.cn', 'a@b-.cn', 'a@b..cn', 'a@b', 'a@@b.cn', 'a b@c.cn',
  '张三@例子.中国', 'a@b.cn.', '"a"@b.cn', 'a@1.2.3.4', "o'neil@x.org", 'a@b.c-d.cn',
  'x'.repeat(64) + '@b.cn', 'x'.repeat(65) + '@b.cn',
  'a@' + 'b'.repeat(63) + '.cn', 'a@' + 'b'.repeat(64) + '.cn',
  // 254 and 255 bytes: the longest address and one too long
  'x'.repeat(64) + '@' + 'b'.repeat(63) + '.' + 'b'.repeat(63) + '.' + 'b'.repeat(58) + '.cn',
  'x'.repeat(64) + '@' + 'b'.repeat(63) + '.' + 'b'.repeat(63) + '.' + 'b'.repeat(59) + '.cn',
  // postal codes
  '410000', '41000', '4100000', '41000a',
  // dates
  '2024-02-29', '2023-02-29', '1899-12-31', '1900-01-01', '2999-12-31',
  '3000-01-01', '2024-13-01', '2024-00-10', '2024-1-01', '2024/01/01', '2024-04-31',
  // numbers
  '1', '0', '01', '42', '100', '101', '100000', '100001', '1000000', '1000001',
  '999999999999999999', '1000000000000000000', '-1', '1.5', '1e3', '１２',
  // flags and choices
  'true', 'false', 'on', 'off', 'yes', 'TRUE', 'ORG', 'other', 'org ',
  // ID numbers (the reference's below)
  '11010519491231002x', '010105194912310021', '110105179912310025',
  '110105203001010010', '110105194902300020', '11010519491231002', '11010519491231002X1',
  '11010519491231002Y', '1101051949123100２X', '440524188001010014 ',
  // USCCs and taxpayer numbers (the reference's below)
  '91350100m000100y43', '9135010OM000100Y43', '91A50100M000100Y43', '9135010IM000100Y43',
  '110105123456789', '11010512345678901', '11010512345678901234', '1101051234567890',
  '1101051234567890!', 'abcdefghijklmnopq', '110105123456789012345',
  // text
  '字', '字字', 'a\tb', 'a\nb', 'a\r\nb', 'a\rb', 'a\u0085b', 'a\u007fb', 'a\u00a0b',
  'é', '😀😀', '湖南示例科技有限公司', '<script>', 'a\u2028b',
  // the account forms': taken as sent, so blanks and NULs count
  ' +8613800138000', '13800138000\u0000x', '\u0000', '\t13800138000',
  'register', 'login', 'reset', 'Register', 'register\u0000', ' login',
  'abc12345', 'abcdefgh', '12345678', 'abc1234', 'Abc 1234', ' abc12345 ',
  'abc\t12345', 'abc\u007f12345', 'abc\u0085123', '密码密码密码1a', '密码1a',
  'пароль123', 'abc12345\u0000', '\u0000abc12345', '😀😀😀😀😀😀a1',
  '123456', '12345', '1234567', '12345a', ' 123456', '123456 ', '１２３４５６',
  '123456\u0000', '123456\u00007', '000000'
];

// the reference's vectors: every ID number and USCC it gives
const reference = path.join(root, '..', 'shared', 'reference', 'validators.md');
const vectors = fs.existsSync(reference)
  ? fs.readFileSync(reference, 'utf8').match(/\b[0-9A-Z]{18}\b/g) || [] : [];

// a field's own edges: lengths around min and max, numbers around max
function edges(spec) {
  const out = [];
  if (spec.kind === 'text' || spec.kind === 'multiline' || spec.kind === 'real_name') {
    for (const n of [spec.min - 1, spec.min, spec.min + 1, spec.max - 1, spec.max, spec.max + 1]) {
      if (n > 0) {
        out.push('字'.repeat(n), 'a'.repeat(n), '😀'.repeat(n));
      }
    }
    if (spec.kind === 'multiline') {
      out.push('a\r\n'.repeat(spec.max / 2) + 'a', 'a\n'.repeat(spec.max));
    }
  }
  if (spec.kind === 'new_password' || spec.kind === 'password'
      || spec.kind === 'sms_code') {
    for (const n of [spec.min - 1, spec.min, spec.min + 1, spec.max - 1, spec.max, spec.max + 1]) {
      if (n > 0) {
        out.push('a1'.repeat(n).slice(0, n), '1'.repeat(n), '字1'.repeat(n).slice(0, n),
                 '😀' + '1'.repeat(n - 1));
      }
    }
  }
  if (spec.kind === 'number' && spec.max) {
    const max = BigInt(spec.max);
    out.push(String(max - 1n), String(max), String(max + 1n), String(max * 10n));
  }
  for (const c of spec.choices || []) {
    out.push(c, c.toUpperCase(), ' ' + c);
  }
  return out;
}

const cases = [];
for (const form of Object.keys(rules.forms)) {
  for (const spec of fields.form(form)) {
    for (const v of common.concat(vectors, vectors.map((v) => v.toLowerCase()), edges(spec))) {
      cases.push({ form, spec, value: v });
    }
  }
}

// --- both sides ---------------------------------------------------------

function hex(s) {
  return s === null ? '-' : Buffer.from(s, 'utf8').toString('hex');
}

// to the C: "=" and the value's bytes in hex, or "-" for no such field
const input = cases.map((c) => [c.form, c.spec.name, c.value === null ? '-' : '=' + hex(c.value),
                                TODAY].join('\t')).join('\n') + '\n';
const run = spawnSync(verdicts, [], { input, maxBuffer: 256 * 1024 * 1024 });
if (run.status !== 0) {
  process.stderr.write(String(run.stderr || run.error));
  process.exit(2);
}
const lines = run.stdout.toString('utf8').split('\n');

const disagreements = [];
cases.forEach((c, i) => {
  const js = fields.check(c.spec, c.value, TODAY);
  const mine = [js.why, hex(js.value), js.message || ''].join('\t');
  if (lines[i] !== mine) {
    disagreements.push({ form: c.form, field: c.spec.name, value: c.value,
                         c: lines[i], js: mine });
  }
});

// the page scripts' rules.field('form', 'name'): each must exist
const unknown = [];
function scripts(dir) {
  return fs.readdirSync(path.join(root, 'www/js', dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'vendor' ? [] : scripts(path.join(dir, e.name)))
      : e.name.endsWith('.js') ? [path.join(dir, e.name)] : []);
}
for (const f of scripts('')) {
  const src = fs.readFileSync(path.join(root, 'www/js', f), 'utf8');
  for (const m of src.matchAll(/(?:rules\.field|accountRule)\('([a-z_]+)', '([a-z_]+)'/g)) {
    try {
      fields.spec(m[1], m[2]);
    } catch (e) {
      unknown.push(f + ': ' + m[1] + '.' + m[2]);
    }
  }
}

process.stdout.write(JSON.stringify({
  cases: cases.length,
  reference_vectors: vectors.length,
  disagreements: disagreements.length,
  first: disagreements.slice(0, 20),
  unknown_fields: unknown
}) + '\n');
