// ui.js: everything the account pages share, in one name for the pages
// whose code says ui.x (import * as ui from './ui.js'). Each part is a
// module of its own under ui/, which a new module imports directly:
//   ui/rules.js   the server's field rules as checks (rules, normalizePhone)
//   ui/forms.js   a form's fields read and filled (field, checked, values, fillForm)
//   ui/errors.js  errors beside a field or on top, said aloud; validate, onSubmit
//   ui/busy.js    a form while its request is in flight (setBusy, isBusy)
//   ui/sms.js     获取验证码 and its countdown (smsButton)
//   ui/tabs.js    tabs
//   ui/dom.js     building the page from data (el, append, empty, facts, …)
//   ui/format.js  values as the pages say them (yuan, stateName, …)
//   ui/next.js    the ?next= parameter (safeNext, nextUrl, …)
//   ui/flash.js   a message for the next page
//   ui/page.js    a page that needs a session (param, toLogin, loadFailed)
//   ui/pager.js   pagination
export * from './ui/rules.js';
export { checked, values, fillForm } from './ui/forms.js';
export * from './ui/errors.js';
export * from './ui/busy.js';
export * from './ui/sms.js';
export * from './ui/tabs.js';
export * from './ui/dom.js';
export * from './ui/format.js';
export * from './ui/next.js';
export * from './ui/flash.js';
export * from './ui/page.js';
export { pager } from './ui/pager.js';
