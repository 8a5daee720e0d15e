// A minimal TAP producer: one point a journey step, the plan at the end,
// diagnostics as "# " lines (t/bin/run-tests counts the points).
export class Tap {
  constructor(out = process.stdout) {
    this.out = out;
    this.n = 0;
    this.failures = 0;
    this.axe = { runs: 0, pages: new Set(), found: 0 };   // what axe-core checked
    this.origin = { requests: 0 };   // requests of the hall's pages checked to stay on it
  }

  line(s) {
    this.out.write(s + '\n');
  }

  diag(text) {
    for (const l of String(text).split('\n')) this.line(`# ${l}`);
  }

  ok(name) {
    this.line(`ok ${++this.n} - ${name}`);
  }

  notOk(name, why = []) {
    this.failures++;
    this.line(`not ok ${++this.n} - ${name}`);
    for (const w of why) this.diag(`  ${w}`.replace(/\n/g, '\n  '));
  }

  skip(name, why) {
    this.line(`ok ${++this.n} - ${name} # SKIP ${why}`);
  }

  plan() {
    this.line(`1..${this.n}`);
  }
}
