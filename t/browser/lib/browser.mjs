// Debian's Chromium driven by puppeteer-core, never a downloaded browser;
// one browser a run, one browser context (cookies, storage) a journey.
//
// journey.step(name, fn, { expect }) runs fn(page) and then, whatever it
// did, writes the page as a desktop (1280x900) and a phone (390x844,
// mobile) screenshot to build/browser/<journey>/<NN-step>-{desktop,phone}.png,
// runs axe-core on it, and fails the step when fn threw, when the console
// logged an error or the page threw, or when a response was >= 400 and not
// one the step expects (expect: [{ status, url: RegExp }]).  A failing
// step keeps its screenshots (taken after the failure) and the journey's
// later steps are skipped.
import puppeteer from 'puppeteer-core';
import { readFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './hall.mjs';

export const CHROMIUM = process.env.CERTHALL_CHROMIUM || '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
export const WAIT = Number(process.env.CERTHALL_BROWSER_WAIT_MS) || 20000;   // bound of every wait
const SHOTS = path.join(ROOT, 'build', 'browser');

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function launch() {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
           '--disable-background-networking', '--lang=zh-CN'],
    protocolTimeout: WAIT * 3,
  });
}

// A page of the hall pulls nothing from another origin (no CDN, no
// third-party script, font or image; what the CSP's default-src 'self'
// also forbids, checked here on every request of every journey): a
// request made by a document of the hall goes to the hall. Leaving the
// hall is allowed (the Alipay form posts the main frame to the gateway);
// the requests of another site's page (the Alipay double's cashier) are
// that site's. Returns a problem, '' for a request of the hall checked,
// null for one that is not the hall's to check.
export function foreignPull(req, hallUrl) {
  const url = req.url();
  if (!/^https?:/.test(url)) return null;          // data:, blob: are the page's own
  const from = req.frame()?.url() || '';
  const hall = new URL(hallUrl).origin;
  if (!/^https?:/.test(from) || new URL(from).origin !== hall) return null;
  if (req.isNavigationRequest() && !req.frame()?.parentFrame()) return null;   // the main frame leaves
  if (new URL(url).origin === hall) return '';
  return `a page of the hall pulled from another origin: ${req.resourceType()} ${req.method()} ${url} (page ${from})`;
}

function slug(s) {
  return s.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60);
}

export class Journey {
  constructor(browser, name, tap, hall) {
    this.browser = browser;
    this.name = name;
    this.tap = tap;
    this.hall = hall;
    this.n = 0;
    this.failed = false;
    this.dir = path.join(SHOTS, slug(name));
    this.problems = [];
    this.expect = [];
  }

  async open() {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    this.context = await this.browser.createBrowserContext();
    this.page = await this.context.newPage();
    await this.page.setViewport(DESKTOP);
    this.page.setDefaultTimeout(WAIT);
    this.page.setDefaultNavigationTimeout(WAIT);
    this.watch(this.page);
    return this;
  }

  watch(page) {
    // the page's requests in flight: those of a document the page has
    // left are dropped (Chromium cancels them without always saying so)
    this.inflight = new Map();
    this.lastNet = Date.now();
    const done = (req) => { this.inflight.delete(req); this.lastNet = Date.now(); };
    page.on('request', (req) => { this.inflight.set(req, page.mainFrame().url()); this.lastNet = Date.now(); });
    page.on('request', (req) => {
      const wrong = foreignPull(req, this.hall.url);
      if (wrong) this.problems.push(wrong);
      else if (wrong === '') this.tap.origin.requests++;
    });
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      for (const req of this.inflight.keys()) {
        if (!req.isNavigationRequest() && req.frame() === frame && this.inflight.get(req) !== frame.url()) this.inflight.delete(req);
      }
    });
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // Chromium's own line for a response >= 400: judged as the response
      if (/^Failed to load resource: the server responded with a status of \d+/.test(text)) return;
      this.problems.push(`console error: ${text} (${msg.location()?.url || page.url()})`);
    });
    page.on('pageerror', (err) => this.problems.push(`uncaught in the page: ${err.message}`));
    page.on('requestfailed', (req) => {
      const why = req.failure()?.errorText || '';
      if (why === 'net::ERR_ABORTED') return;   // a navigation that replaced the page
      this.problems.push(`request failed: ${req.method()} ${req.url()} ${why}`);
    });
    page.on('response', (res) => {
      const status = res.status();
      if (status < 400) return;
      const url = res.url();
      if (this.expect.some((e) => (!e.status || e.status === status) && e.url.test(url))) return;
      this.problems.push(`unexpected HTTP ${status}: ${res.request().method()} ${url}`);
    });
  }

  url(p) {
    return this.hall.url + p;
  }

  async step(name, fn, { expect = [] } = {}) {
    const label = `${this.name}: ${name}`;
    if (this.failed) {
      this.tap.skip(label, 'an earlier step of this journey failed');
      return;
    }
    const nn = String(++this.n).padStart(2, '0');
    const base = path.join(this.dir, `${nn}-${slug(name)}`);
    this.problems = [];
    this.expect = expect;
    let error = null;
    try {
      await fn(this.page);
      await this.settle();
    } catch (e) {
      error = e;
    }
    const axe = await this.axe().catch((e) => [`axe did not run: ${e.message}`]);
    try {
      await this.screenshots(base);
    } catch (e) {
      this.problems.push(`screenshot: ${e.message}`);
    }
    this.expect = [];
    const why = [];
    if (error) why.push(error.stack || String(error));
    why.push(...this.problems, ...axe);
    if (why.length) {
      this.failed = true;
      this.tap.notOk(label, [...why, `screenshots: ${path.relative(ROOT, base)}-{desktop,phone}.png`, `page: ${this.page.url()}`]);
    } else {
      this.tap.ok(label);
    }
  }

  // the page's own requests have answered and none followed for 300 ms
  // (a page that polls, like the real-name QR, is quiet between polls);
  // a request still unanswered after WAIT is a page that hangs
  async settle() {
    const until = Date.now() + WAIT;
    while (this.inflight.size || Date.now() - this.lastNet < 300) {
      if (Date.now() > until) {
        this.problems.push(`requests unanswered after ${WAIT} ms: ${[...this.inflight.keys()].map((r) => `${r.method()} ${r.url()}`).join(', ')}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));   // polls the page's own count, bounded above
    }
  }

  async screenshots(base) {
    const page = this.page;
    // PNG written fast (a lower zlib level: larger files, a fraction of
    // the CPU, which CI's two cores share with the suites)
    await page.screenshot({ path: `${base}-desktop.png`, fullPage: true, captureBeyondViewport: true,
                            optimizeForSpeed: true });
    // the phone: Chromium's mobile emulation set straight on the page (the
    // puppeteer viewport's isMobile would reload it and lose its state), at
    // one device pixel a CSS pixel: the layout is the phone's, the image a
    // quarter of a 2x one's pixels
    const cdp = await page.createCDPSession();
    try {
      await cdp.send('Emulation.setDeviceMetricsOverride',
                     { width: PHONE.width, height: PHONE.height, deviceScaleFactor: 1, mobile: true });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const height = await page.evaluate(() => Math.min(document.documentElement.scrollHeight, 6000));
      await cdp.send('Emulation.setDeviceMetricsOverride',
                     { width: PHONE.width, height: Math.max(height, PHONE.height), deviceScaleFactor: 1, mobile: true });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const { data } = await cdp.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true });
      const { writeFile } = await import('node:fs/promises');
      await writeFile(`${base}-phone.png`, Buffer.from(data, 'base64'));
    } finally {
      await cdp.send('Emulation.clearDeviceMetricsOverride').catch(() => {});
      await cdp.detach().catch(() => {});
      await page.setViewport({ ...DESKTOP });
    }
  }

  // axe-core in the page (evaluated over the DevTools protocol, so the
  // pages' CSP stays as it is): serious and critical findings are
  // diagnostics, and each fails the step (nothing is excused: a defect
  // the journeys find is fixed, not listed)
  async axe() {
    const page = this.page;
    if (!/^https?:/.test(page.url())) return [];
    const has = await page.evaluate(() => typeof window.axe === 'object');
    if (!has) await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                       targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    });
    const where = new URL(page.url()).pathname;
    this.tap.axe.pages.add(where);
    this.tap.axe.runs++;
    this.tap.axe.found += violations.length;
    return violations.map((v) => `axe ${v.impact} ${v.id} on ${where}: ${v.help} [${v.targets.join(', ')}]`);
  }

  async close() {
    await this.context?.close().catch(() => {});
  }
}
