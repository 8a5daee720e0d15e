// What the website does wrong today and the browser run reports without
// failing: each entry is a product defect listed for the website's owner
// (issue 20, /tmp/lead/findings20.md), seen as a "# known:" diagnostic in
// the run's TAP. Remove an entry when the website is fixed: the run then
// fails if the defect comes back.
const RESPONSES = [
  // (none: the favicon and the visitors' /api/me 401 were fixed by i20-www)
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
