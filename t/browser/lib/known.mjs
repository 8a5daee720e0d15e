// What the website does wrong today and the browser run reports without
// failing: each entry is a product defect listed for the website's owner
// (issue 20, /tmp/lead/findings20.md), seen as a "# known:" diagnostic in
// the run's TAP. Remove an entry when the website is fixed: the run then
// fails if the defect comes back.
const RESPONSES = [
  // every page asks GET /api/me to draw the header; a visitor's answer is
  // 401 and Chromium logs it as a console error on every visitor page
  { status: 401, url: /\/api\/me$/, why: 'visitor pages ask /api/me and log its 401 in the console' },
  // no favicon: Chromium asks /favicon.ico on every page
  { status: 404, url: /\/favicon\.ico$/, why: 'no favicon (issue 20: "no 404 in the console")' },
];

const AXE = [
  // { id: 'color-contrast', page: /^\/login\.html$/, why: '...' },
];

export function knownResponse(status, url) {
  const k = RESPONSES.find((r) => r.status === status && r.url.test(url));
  return k && k.why;
}

export function knownAxe(id, pathname) {
  const k = AXE.find((a) => a.id === id && a.page.test(pathname));
  return k && k.why;
}
