// The innerHTML rule, over every module of www/js (but the vendored QR
// library): text goes in with textContent and nodes are made with
// createElement, so nothing a user or the server typed is ever read as
// markup. A lint, kept on purpose (issue 20): new modules are covered
// without being listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const JS = fileURLToPath(new URL('../../www/js/', import.meta.url));

function modules(dir) {
  return readdirSync(join(JS, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'vendor' ? [] : modules(join(dir, e.name)))
      : e.name.endsWith('.js') ? [join(dir, e.name)] : []);
}

test('no module writes markup: no innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
  const all = modules('');
  assert.ok(all.length >= 40 && all.includes('ui/dom.js') && all.includes('order-edit/submit.js'),
            `the modules found: ${all.length}`);
  const found = all.flatMap((f) => readFileSync(join(JS, f), 'utf8').split('\n')
    .map((line, i) => [f + ':' + (i + 1), line.replace(/\/\/.*$/, '')])
    .filter(([, code]) => /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write(ln)?)\b/.test(code))
    .map(([where]) => where));
  assert.deepEqual(found, []);
});

