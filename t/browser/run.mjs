#!/usr/bin/env node
// The browser run: starts a hall of its own (lib/hall.mjs), Debian's
// Chromium once, then every journey of t/browser/*.test.mjs (or of the
// files named) in a browser context of its own, one TAP stream for
// t/bin/run-tests; the hall and the browser are stopped at the end, also
// when something failed or the run is interrupted.
//
//   node t/browser/run.mjs [t/browser/NN-name.test.mjs ...]
//
// A test file exports `journeys`: [{ name, run: async (journey) => ... }],
// each run calling journey.step(name, fn) for what the person does and sees.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hallFor, startHall, stopHall, ROOT } from './lib/hall.mjs';
import { launch, Journey } from './lib/browser.mjs';
import { Tap } from './lib/tap.mjs';

const tap = new Tap();
const hall = hallFor();
let browser = null;
let stopping = null;

async function finish() {
  stopping ??= (async () => {
    await browser?.close().catch(() => {});
    await stopHall(hall);
  })();
  return stopping;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { finish().finally(() => process.exit(1)); });
}

async function files() {
  const named = process.argv.slice(2);
  if (named.length) return named.map((f) => path.resolve(f));
  const dir = path.join(ROOT, 't', 'browser');
  return (await readdir(dir)).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(dir, f));
}

try {
  const list = await files();
  const t0 = Date.now();
  try {
    await startHall(hall);
    tap.ok(`the hall runs at ${hall.url} (scripts/run.sh, CERTHALL_VAR ${path.relative(ROOT, hall.var)})`);
  } catch (e) {
    tap.notOk('the hall runs', [e.message]);
    throw e;
  }
  tap.diag(`hall started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  browser = await launch();
  tap.diag(`${await browser.version()} (${(await import('./lib/browser.mjs')).CHROMIUM})`);
  for (const file of list) {
    const mod = await import(pathToFileURL(file).href);
    for (const j of mod.journeys) {
      const journey = new Journey(browser, j.name, tap, hall);
      try {
        await journey.open();
        await j.run(journey);
      } catch (e) {
        tap.notOk(`${j.name}: runs to its end`, [e.stack || String(e)]);
      } finally {
        await journey.close();
      }
    }
  }
} catch (e) {
  if (!tap.failures) tap.notOk('the browser run', [e.stack || String(e)]);
} finally {
  await finish();
  tap.diag(`same origin: ${tap.origin.requests} requests of the hall's pages, each to the hall`);
  tap.diag(`axe-core: ${tap.axe.runs} checks of ${tap.axe.pages.size} pages (${[...tap.axe.pages].sort().join(' ')}), ${tap.axe.found} serious or critical findings`);
  tap.plan();
}
process.exitCode = tap.failures ? 1 : 0;
