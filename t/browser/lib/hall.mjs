// The hall a browser run drives: scripts/run.sh (make run's machinery) with
// a fresh CERTHALL_VAR under build/ and a port of its own, derived from
// TEST_NGINX_PORT (50 above it: the nginx suites use that port, their
// valgrind pass 110 above and up), so it never meets the other suites.
// Fresh each run: the journeys register accounts and read messages, and a
// second run must meet the same demo data.
//
// What the doubles received is read where a person reads it: the SMS
// gateway double's log (after certhall-admin sms-send posted the outbox
// to it), the real-name provider played by t/bin/realname-callback.
import { execFile } from 'node:child_process';
import { readFile, rm, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';

const run = promisify(execFile);

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

// run.sh must not see the test environment's database (t/bin/testenv
// exports PGHOST and friends): its hall has its own cluster
export function hallEnv(hall) {
  const env = { ...process.env, CERTHALL_VAR: hall.var, CERTHALL_PORT: String(hall.port) };
  for (const k of Object.keys(env)) {
    if (/^PG/.test(k)) delete env[k];
  }
  return env;
}

export function hallFor(env = process.env) {
  const port = Number(env.CERTHALL_BROWSER_PORT) || (Number(env.TEST_NGINX_PORT) || 1984) + 50;
  const dir = path.join(ROOT, 'build', `browser-hall-${port}`);
  return { port, var: dir, url: `http://127.0.0.1:${port}`, admin: path.join(ROOT, 'build', 'certhall-admin') };
}

async function runSh(hall, what) {
  return run(path.join(ROOT, 'scripts', 'run.sh'), [what],
             { cwd: ROOT, env: hallEnv(hall), maxBuffer: 1 << 24, timeout: 180000 });
}

export async function startHall(hall) {
  await stopHall(hall);
  await rm(hall.var, { recursive: true, force: true });
  await mkdir(hall.var, { recursive: true });
  try {
    await runSh(hall, 'start');
  } catch (e) {
    throw new Error(`scripts/run.sh start failed: ${e.message}\n${e.stdout || ''}${e.stderr || ''}`);
  }
  return hall;
}

export async function stopHall(hall) {
  if (!existsSync(path.join(hall.var, 'run')) && !existsSync(path.join(hall.var, 'nginx'))) return;
  try {
    await runSh(hall, 'stop');
  } catch (e) {
    process.stderr.write(`browser: stopping the hall: ${e.message}\n`);
  }
}

// certhall-admin with the hall's configuration (as make run prints it)
export async function admin(hall, ...args) {
  const [cmd, ...rest] = args;
  return run(hall.admin, [cmd, '-c', path.join(hall.var, 'admin.conf'), ...rest],
             { cwd: ROOT, env: hallEnv(hall), timeout: 60000 });
}

// SQL against the hall's database as the application role
export async function sql(hall, query) {
  const env = { ...hallEnv(hall), PGPASSFILE: path.join(hall.var, 'secrets', 'pgpass') };
  const { stdout } = await run('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', path.join(hall.var, 'pg'),
                                        '-U', 'certhall', '-d', 'certhall', '-c', query], { env, timeout: 30000 });
  return stdout.trim();
}

// The last code the SMS gateway double received for a phone: the outbox is
// posted to the double (certhall-admin sms-send, the job a cron runs), then
// its log, a JSON line a request, is read. Bounded: a few rounds.
export async function smsCode(hall, phone, { after = 0 } = {}) {
  const log = path.join(hall.var, 'run', 'sms-gateway.log');
  for (let round = 0; round < 20; round++) {
    await admin(hall, 'sms-send');
    const lines = existsSync(log) ? (await readFile(log, 'utf8')).split('\n').filter(Boolean) : [];
    const mine = lines.slice(after).map((l) => JSON.parse(l)).filter((r) => r.phone === phone && r.status === 200);
    const last = mine[mine.length - 1];
    const code = last && /(\d{6})/.exec(last.content);
    if (code) return { code: code[1], text: last.content, seen: lines.length };
    await new Promise((r) => setTimeout(r, 250));   // the outbox row commits with the answer; one more round
  }
  throw new Error(`the SMS gateway double received no code for ${phone}`);
}

// how many requests the SMS double has logged so far (to read only newer ones)
export async function smsSeen(hall) {
  const log = path.join(hall.var, 'run', 'sms-gateway.log');
  return existsSync(log) ? (await readFile(log, 'utf8')).split('\n').filter(Boolean).length : 0;
}

// the real-name provider's signed result, as the README's local steps play it
export async function realnameResult(hall, requestId, verdict, name, idNumber) {
  const { stdout } = await run(path.join(ROOT, 't', 'bin', 'realname-callback'),
                               [requestId, verdict, name, idNumber],
                               { cwd: ROOT, env: hallEnv(hall), timeout: 30000 });
  return stdout.trim();
}
