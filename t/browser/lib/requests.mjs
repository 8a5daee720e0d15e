// What a page sends, observed as the hall receives it: the requests a page
// makes while a person acts (method, headers, body), the CSRF cookie they
// must echo, a form body read back as fields.
export function recordRequests(page, test) {
  const seen = [];
  const on = (req) => { if (test(req)) seen.push(req); };
  page.on('request', on);
  return { seen, stop: () => page.off('request', on) };
}

// the value of the certhall_csrf cookie the hall set with the session
export async function csrfCookie(page) {
  const c = (await page.cookies()).find((k) => k.name === 'certhall_csrf');
  return c ? c.value : null;
}

// an application/x-www-form-urlencoded body as { name: value }
export function formOf(req) {
  return Object.fromEntries(new URLSearchParams(req.postData() || ''));
}

// a request header (puppeteer gives them lower-cased)
export function header(req, name) {
  return req.headers()[name.toLowerCase()];
}
