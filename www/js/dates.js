// CertHall.dates: dates as the seeds write them, 2027年1月6日, in Beijing
// time whatever the browser's zone (the hall's days are Beijing calendar
// days: the auto-confirm date is one).
//
//   CertHall.dates.day('2027-01-06')                  -> "2027年1月6日"
//   CertHall.dates.day('2026-12-01T01:30:00Z')        -> "2026年12月1日"
//   CertHall.dates.time('2026-12-01T01:30:00+00:00')  -> "2026年12月1日 09:30"
//
// Anything that is not a date comes back as its text ('' for none).
(function (global) {
  'use strict';

  var CertHall = global.CertHall = global.CertHall || {};
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

  CertHall.dates = { day: day, time: time };
}(window));
