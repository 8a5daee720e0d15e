// An applicant a journey starts from: a new account (accounts.mjs), logged
// in through the API as login.js does and 实名认证 passed as the provider
// plays it (t/bin/realname-callback), so that the journey begins at 在线办理;
// and the files an applicant uploads, made at run time by build/bin/mkscan
// into a temp dir (no binary fixtures in the repository).
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { newAccount } from './accounts.mjs';
import { realnameResult, ROOT } from './hall.mjs';

const run = promisify(execFile);

// a tiny cookie jar, and the X-CSRF-Token header api.js sends; fields are
// a form's (an object) or a multipart FormData (a file upload)
export async function call(hall, jar, method, p, fields) {
  const headers = { Accept: 'application/json' };
  if (jar.size) headers.Cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  if (jar.has('certhall_csrf')) headers['X-CSRF-Token'] = decodeURIComponent(jar.get('certhall_csrf'));
  let body;
  if (fields instanceof FormData) {
    body = fields;
  } else if (fields) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(fields).toString();
  }
  const res = await fetch(hall.url + p, { method, headers, body });
  for (const c of res.headers.getSetCookie()) {
    const [kv] = c.split(';');
    const i = kv.indexOf('=');
    jar.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

// a new account whose 实名认证 has passed (name, ID number as given)
export async function verifiedAccount(hall, phone, password, name, idNumber) {
  await newAccount(hall, phone, password);
  const jar = new Map();
  await call(hall, jar, 'POST', '/api/session', { phone, password });
  const r = await call(hall, jar, 'POST', '/api/me/realname', { name, id_number: idNumber });
  const id = r.request_id || r.id;
  if (!id) throw new Error(`POST /api/me/realname gave no request id: ${JSON.stringify(r)}`);
  const out = await realnameResult(hall, id, 'pass', name, idNumber);
  if (!/^200 /.test(out)) throw new Error(`the real-name callback was refused: ${out}`);
  const me = await call(hall, jar, 'GET', '/api/me');
  if (me.realname?.status !== 'verified') throw new Error(`not verified: ${JSON.stringify(me.realname)}`);
  return { phone, password, name, idNumber };
}

// a temp dir for a journey's files; remove() when done
export async function scratch(prefix) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `certhall-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// an image made by mkscan: scan(dir, 'name.jpg', 'jpg', 'color', 1200, 900, ...options)
export async function scan(dir, name, format, look, w, h, ...opt) {
  const file = path.join(dir, name);
  const { stdout } = await run(path.join(ROOT, 'build', 'bin', 'mkscan'), [format, look, String(w), String(h), ...opt],
                               { encoding: 'buffer', maxBuffer: 1 << 26, timeout: 60000 });
  await writeFile(file, stdout);
  return file;
}

// a file of given text (a .txt renamed .jpg: what the hall must refuse)
export async function textFile(dir, name, text) {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

// every text a live status element (an upload's progress line) shows from
// now on, read back with the function returned
export async function watchTexts(page, selector) {
  const key = `__seen_${selector.replace(/\W/g, '_')}`;
  await page.$eval(selector, (e, key) => {
    window[key] = [];
    new MutationObserver(() => {
      const t = e.textContent.trim();
      if (t && window[key].at(-1) !== t) window[key].push(t);
    }).observe(e, { childList: true, characterData: true, subtree: true });
  }, key);
  return () => page.evaluate((key) => window[key], key);
}
