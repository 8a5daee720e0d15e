// A clock for the page that does not wait: installed before the page's
// scripts (evaluateOnNewDocument), it replaces setTimeout/clearTimeout and
// Date.now so that the page's time stands still except when a timer is
// due: the timer fires as soon as the page is idle -- no fetch of its own
// in flight -- with the page's time moved on to its due time. A page that polls every 2 s for 2 minutes then does its 60 polls
// back to back (each a real request to the hall, answered before the next)
// and gives up at its 2-minute mark in well under a second of real time;
// no test waits a fixed time. What the page asked for is kept in
// window.__clock: delays (every setTimeout's ms), fired, pending(),
// elapsed() (how far the page's time has moved, in ms).
//
// Chosen over CDP's Emulation.setVirtualTimePolicy (the budget's end is an
// event of its own to wait for, and its interplay with the page's fetches
// is Chromium's to decide) and over a faster-running clock (which ties the
// page's time to the machine's load): here the page's time moves only when
// a timer is due, so the count of polls is exact whatever the load.
export const FAST_CLOCK = `(() => {
  const realSet = window.setTimeout.bind(window);
  const start = Date.now();
  let offset = 0, next = 1, inflight = 0, scheduled = false;
  const timers = new Map();
  const now = () => start + offset;
  const clock = window.__clock = { delays: [], fired: 0, pending: () => timers.size, elapsed: () => offset };
  function pump() {
    if (scheduled) return;
    scheduled = true;
    realSet(() => {
      scheduled = false;
      if (inflight || !timers.size) return;
      let id = null, t = null;
      for (const [k, v] of timers) if (!t || v.due < t.due) { id = k; t = v; }
      timers.delete(id);
      if (t.due > now()) offset += t.due - now();
      clock.fired++;
      try { t.fn(...t.args); } finally { pump(); }
    }, 0);
  }
  window.setTimeout = (fn, ms = 0, ...args) => {
    const id = next++;
    clock.delays.push(Number(ms) || 0);
    timers.set(id, { due: now() + (Number(ms) || 0), fn: typeof fn === 'function' ? fn : () => {}, args });
    pump();
    return id;
  };
  window.clearTimeout = (id) => { timers.delete(id); };
  Date.now = now;
  const realFetch = window.fetch.bind(window);
  window.fetch = (...a) => {
    inflight++;
    const done = () => { inflight--; pump(); };
    return realFetch(...a).then((r) => { done(); return r; }, (e) => { done(); throw e; });
  };
})();`;
