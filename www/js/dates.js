// dates.js (import * as dates from './dates.js'): dates as the seeds write them, 2027年1月6日, in Beijing
// time whatever the browser's zone (the hall's days are Beijing calendar
// days: the auto-confirm date is one).
//
//   dates.day('2027-01-06')                           -> "2027年1月6日"
//   dates.day('2026-12-01T01:30:00Z')                 -> "2026年12月1日"
//   dates.time('2026-12-01T01:30:00+00:00')  -> "2026年12月1日 09:30"
//
// Anything that is not a date comes back as its text ('' for none).
//
// A date typed by a person, as the API takes it (yyyy-mm-dd), '' for
// nothing typed, null for what is not a day of the calendar (years
// 1900-2999, as ch_date_check):
//
//   dates.parse('2026年12月7日')  -> "2026-12-07"
//   dates.parse(' 2026-12-7 ')    -> "2026-12-07"  (also / and .)
//   dates.parse('2026年2月30日')  -> null

var PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
var BEIJING = (function () {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: 'Asia/Shanghai', hourCycle: 'h23', year: 'numeric', month: 'numeric',
      day: 'numeric', hour: '2-digit', minute: '2-digit'
    });
  } catch (e) {
    return null;      // no time zones here: the browser's own
  }
}());

// { y, m, d, hh, mm } of an instant in Beijing
function parts(t) {
  if (!BEIJING) {
    return { y: t.getFullYear(), m: t.getMonth() + 1, d: t.getDate(),
             hh: t.getHours(), mm: t.getMinutes() };
  }
  var p = {};
  BEIJING.formatToParts(t).forEach(function (x) {
    p[x.type] = parseInt(x.value, 10);
  });
  return { y: p.year, m: p.month, d: p.day, hh: p.hour, mm: p.minute };
}

function two(n) {
  return (n < 10 ? '0' : '') + n;
}

function dayText(p) {
  return p.y + '年' + p.m + '月' + p.d + '日';
}

// a plain date is a calendar day already: never shifted by a zone
function day(iso) {
  var m = PLAIN_DATE.exec(iso || '');
  if (m) {
    return dayText({ y: +m[1], m: +m[2], d: +m[3] });
  }
  var t = new Date(iso);
  if (!iso || isNaN(t.getTime())) {
    return iso ? String(iso) : '';
  }
  return dayText(parts(t));
}

function time(iso) {
  var t = new Date(iso);
  if (!iso || PLAIN_DATE.test(iso) || isNaN(t.getTime())) {
    return day(iso);
  }
  var p = parts(t);
  return dayText(p) + ' ' + two(p.hh) + ':' + two(p.mm);
}

// 2026年12月7日, 2026-12-07, 2026/12/7, 2026.12.7 (full-width digits too)
var TYPED = /^(\d{4})\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?|([-\/.])(\d{1,2})\4(\d{1,2}))$/;

function parse(text) {
  var s = String(text === null || text === undefined ? '' : text)
    .replace(/[\uff10-\uff19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    })
    .replace(/[\uff0d\uff0f\uff0e]/g, function (c) {     // －／．
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    })
    .trim();
  if (!s) {
    return '';
  }
  var m = TYPED.exec(s);
  if (!m) {
    return null;
  }
  var y = +m[1], mo = +(m[2] || m[5]), d = +(m[3] || m[6]);
  var last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1 || d > last) {
    return null;
  }
  return y + '-' + two(mo) + '-' + two(d);
}

export { day, time, parse };
