// fields.js (import * as fields from './fields.js'): a form's field checked as the server checks it, with
// the server's message. The rules -- every form's fields, each kind's
// messages, the validators' limits -- are fieldRules
// (/js/field-rules.js, printed by make from lib/ch_field_specs.c and
// lib/ch_fields.c); this file is the one JavaScript copy of what
// lib/ch_fields.c and lib/ch_validate.c do with them: the phone, e-mail,
// ID number, USCC and taxpayer number checks, lengths in characters, the
// trimming. t/tools/field-rules.t runs the same values through both and
// fails when they disagree. The server stays the judge.
//
//   fields.check(spec, value, today)
//     -> { why: 'none' | 'missing' | 'length' | ..., value, message }
//   fields.spec('org_info', 'email') -> the field's spec
//   fields.form('org_info') -> the form's specs
//
// Imports ./field-rules.js; no DOM, so it also runs under node.
import { fieldRules as R } from './field-rules.js';

var L = R.limits;

var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
var ID_CHECK = '10X98765432';
var USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
var USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
var EMAIL_LOCAL = "!#$%&'*+/=?^_`{|}~-";
var MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// the checks below read bytes of UTF-8, as the C does: a length is in
// bytes where the C's is
var encoder = new TextEncoder();

function bytes(s) {
  return Array.prototype.slice.call(encoder.encode(s));
}

function text(b) {
  return String.fromCharCode.apply(null, b);   // ASCII by then
}

function digit(c) {
  return c >= 0x30 && c <= 0x39;
}

function letter(c) {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function upper(c) {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

function leap(y) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function monthDays(y, m) {
  return MONTH_DAYS[m - 1] + (m === 2 && leap(y) ? 1 : 0);
}

function num(b, from, to) {
  return +text(b.slice(from, to));
}

// ch_trim: ASCII blanks and U+3000 (what a Chinese input method types)
function trim(s) {
  return String(s).replace(/^[ \t\r\n\u3000]+|[ \t\r\n\u3000]+$/g, '');
}

// each returns { why } or { why: 'none', value }

function refused(why) {
  return { why: why, value: null };
}

function kept(value) {
  return { why: 'none', value: value };
}

// ch_text_check: characters (code points), no control characters (C0,
// DEL, C1); multiline allows LF and CRLF (one character)
function checkText(s, min, max, multiline) {
  var cps = Array.from(s), chars = 0;
  for (var i = 0; i < cps.length; i++) {
    var c = cps[i].codePointAt(0);
    if (c < 0x20 || c === 0x7f) {
      if (!multiline) {
        return refused('chars');
      }
      if (c === 0x0d && cps[i + 1] === '\n') {
        i++;
      } else if (c !== 0x0a) {
        return refused('chars');
      }
    }
    if (c >= 0x80 && c <= 0x9f) {
      return refused('chars');
    }
    chars++;
  }
  if (chars < min || chars > max) {
    return refused(min > 1 ? 'length' : 'too_long');
  }
  return kept(s);
}

// ch_realname_name_check: the name as sent, no blank at either end, no
// control character, at most max characters
function checkRealName(s, max) {
  var cps = Array.from(s), chars = 0;
  if (cps.length === 0) {
    return refused('length');
  }
  if (s.charAt(0) === ' ' || s.charAt(s.length - 1) === ' ') {
    return refused('shape');
  }
  for (var i = 0; i < cps.length; i++) {
    var c = cps[i].codePointAt(0);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      return refused('chars');
    }
    if (++chars > max) {
      return refused('length');
    }
  }
  return kept(s);
}

// ch_phone_check: 1[3-9] and 9 digits after an optional +86 / 86,
// blanks and hyphens between groups
function checkPhone(b) {
  var plus = b.length > 0 && b[0] === 0x2b, d = [], out;
  for (var i = plus ? 1 : 0; i < b.length; i++) {
    if (b[i] === 0x20 || b[i] === 0x2d) {
      continue;
    }
    if (!digit(b[i])) {
      return refused('chars');
    }
    if (d.length === L.phone + 2) {
      return refused('length');
    }
    d.push(b[i]);
  }
  if (d.length === L.phone + 2 && d[0] === 0x38 && d[1] === 0x36) {
    out = d.slice(2);
  } else if (!plus && d.length === L.phone) {
    out = d;                          // a "+" promises a country code
  } else {
    return refused('length');
  }
  if (out[0] !== 0x31 || out[1] < 0x33 || out[1] > 0x39) {
    return refused('shape');
  }
  return kept(text(out));
}

// ch_id_number_check (GB 11643-1999): x accepted, kept as X
function checkIdNumber(b, today) {
  var i, out = [], sum = 0;
  if (b.length !== L.idNumber) {
    return refused('length');
  }
  for (i = 0; i < 17; i++) {
    if (!digit(b[i])) {
      return refused('chars');
    }
    out.push(b[i]);
  }
  if (digit(b[17])) {
    out.push(b[17]);
  } else if (b[17] === 0x58 || b[17] === 0x78) {
    out.push(0x58);
  } else {
    return refused('chars');
  }
  if (out[0] === 0x30) {
    return refused('shape');
  }
  var y = num(out, 6, 10), m = num(out, 10, 12), d = num(out, 12, 14);
  if (y < 1800 || m < 1 || m > 12 || d < 1 || d > monthDays(y, m)
      || y * 10000 + m * 100 + d > today)
  {
    return refused('date');
  }
  for (i = 0; i < 17; i++) {
    sum += (out[i] - 0x30) * ID_WEIGHTS[i];
  }
  if (ID_CHECK.charCodeAt(sum % 11) !== out[17]) {
    return refused('check');
  }
  return kept(text(out));
}

// ch_uscc_check (GB 32100-2015): lower case accepted, kept upper case
function checkUscc(b) {
  var i, v, out = [], sum = 0, r;
  if (b.length !== L.uscc) {
    return refused('length');
  }
  for (i = 0; i < L.uscc; i++) {
    v = b[i] ? USCC_ALPHABET.indexOf(String.fromCharCode(upper(b[i]))) : -1;
    if (v < 0) {
      return refused('chars');
    }
    out.push(USCC_ALPHABET.charCodeAt(v));
    if (i < 17) {
      sum += v * USCC_WEIGHTS[i];
    }
  }
  for (i = 2; i < 8; i++) {           // the area code: digits
    if (!digit(out[i])) {
      return refused('shape');
    }
  }
  r = 31 - sum % 31;
  if (USCC_ALPHABET.charCodeAt(r === 31 ? 0 : r) !== out[17]) {
    return refused('check');
  }
  return kept(text(out));
}

// ch_taxpayer_id_check: a USCC, or 15, 17 or 20 letters and digits
function checkTaxpayerId(b) {
  if (b.length === L.uscc) {
    return checkUscc(b);
  }
  if (b.length !== 15 && b.length !== 17 && b.length !== L.taxpayerIdMax) {
    return refused('length');
  }
  for (var i = 0; i < b.length; i++) {
    if (!digit(b[i]) && !letter(b[i])) {
      return refused('chars');
    }
  }
  return kept(text(b.map(upper)));
}

// ch_email_check: local@domain, ASCII, no quoted parts, a letters-only
// top-level domain
function checkEmail(b) {
  var i, at, label = 0, labels = 0, alpha = true, lastAlpha = false;
  if (b.length < L.emailMin || b.length > L.emailMax) {
    return refused('length');
  }
  at = b.length;
  for (i = 0; i < b.length; i++) {
    if (b[i] === 0x40) {
      if (at !== b.length) {
        return refused('shape');
      }
      at = i;
    } else if (b[i] <= 0x20 || b[i] >= 0x7f) {
      return refused('chars');
    }
  }
  if (at === 0 || at === b.length || at > L.emailLocalMax) {
    return refused('shape');
  }
  for (i = 0; i < at; i++) {
    if (b[i] === 0x2e) {
      if (i === 0 || i === at - 1 || b[i - 1] === 0x2e) {
        return refused('shape');
      }
    } else if (!digit(b[i]) && !letter(b[i])
               && EMAIL_LOCAL.indexOf(String.fromCharCode(b[i])) < 0)
    {
      return refused('chars');
    }
  }
  for (i = at + 1; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x2e) {
      if (label === 0 || b[i - 1] === 0x2d) {
        return refused('shape');
      }
      labels++;
      lastAlpha = alpha;
      label = 0;
      alpha = true;
      continue;
    }
    if (b[i] === 0x2d) {
      if (label === 0) {
        return refused('shape');
      }
    } else if (!digit(b[i]) && !letter(b[i])) {
      return refused('chars');
    }
    if (++label > L.emailLabelMax) {
      return refused('shape');
    }
    alpha = alpha && letter(b[i]);
  }
  if (labels < 2 || !lastAlpha) {
    return refused('shape');
  }
  return kept(text(b));
}

// ch_postal_code_check: 6 digits
function checkPostalCode(b) {
  if (b.length !== L.postalCode) {
    return refused('length');
  }
  return b.every(digit) ? kept(text(b)) : refused('chars');
}

// ch_date_check: yyyy-mm-dd, years 1900-2999
function checkDate(b) {
  if (b.length !== 10) {
    return refused('length');
  }
  for (var i = 0; i < 10; i++) {
    if (i === 4 || i === 7 ? b[i] !== 0x2d : !digit(b[i])) {
      return refused('shape');
    }
  }
  var y = num(b, 0, 4), m = num(b, 5, 7), d = num(b, 8, 10);
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > monthDays(y, m)) {
    return refused('date');
  }
  return kept(text(b));
}

// an id or count: 1 to max (none: up to 18 digits), compared as text
// (JavaScript's numbers stop being exact at 2^53)
function checkNumber(b, max) {
  if (b.length > 18 || b[0] === 0x30 || !b.every(digit)) {
    return refused('shape');
  }
  var s = text(b);
  if (max && (s.length > max.length || (s.length === max.length && s > max))) {
    return refused('too_large');
  }
  return kept(s);
}

// ch_password_check: min..max characters, no control character, a
// letter and a digit
function checkNewPassword(s, min, max) {
  var cps = Array.from(s);
  for (var i = 0; i < cps.length; i++) {
    var c = cps[i].codePointAt(0);
    if (c < 0x20 || c === 0x7f) {
      return refused('chars');
    }
  }
  if (cps.length < min || cps.length > max) {
    return refused('length');
  }
  if (!/[A-Za-z]/.test(s) || !/[0-9]/.test(s)) {
    return refused('weak');
  }
  return kept(s);
}

// a password to log in with: only its length in bytes is bounded
function checkPassword(b, s, max) {
  return b.length > max ? refused('too_long') : kept(s);
}

// an SMS code: max digits
function checkSmsCode(b, max) {
  return b.length === max && b.every(digit) ? kept(text(b)) : refused('other');
}

function checkFlag(s) {
  if (s === '1' || s === 'true' || s === 'on') {
    return kept('t');
  }
  if (s === '0' || s === 'false' || s === 'off') {
    return kept('f');
  }
  return refused('other');
}

// the kinds that read only the value's bytes
var BY_BYTES = {
  uscc: checkUscc,
  taxpayer_id: checkTaxpayerId,
  phone: checkPhone,
  email: checkEmail,
  postal_code: checkPostalCode,
  date: checkDate
};

// one value, trimmed and not empty, against its spec (ch_field_value_check)
function checkValue(spec, s, today) {
  var b = bytes(s), r;
  if (BY_BYTES[spec.kind]) {
    return BY_BYTES[spec.kind](b);
  }
  switch (spec.kind) {
  case 'text':
  case 'multiline':
    return checkText(s, spec.min, spec.max, spec.kind === 'multiline');
  case 'id_number':
    return checkIdNumber(b, today);
  case 'person_taxpayer_id':
    // individuals' taxpayer number is their ID number
    if (b.length === L.idNumber) {
      r = checkIdNumber(b, today);
      if (r.why === 'none') {
        return r;
      }
    }
    return checkTaxpayerId(b);
  case 'choice':
  case 'sms_purpose':
    return (spec.choices || []).indexOf(s) >= 0 ? kept(s) : refused('other');
  case 'account_phone':
    return checkPhone(b);
  case 'new_password':
    return checkNewPassword(s, spec.min, spec.max);
  case 'password':
    return checkPassword(b, s, spec.max);
  case 'sms_code':
    return checkSmsCode(b, spec.max);
  case 'flag':
    return checkFlag(s);
  case 'number':
    return checkNumber(b, spec.max);
  case 'real_name':
    return checkRealName(s, spec.max);
  }
  return refused('other');
}

// ch_field_message: the text of the kind's texts for why, else every
// kind's for why, else the kind's "other", else every kind's; {label},
// {min} and {max} filled in
function message(spec, why) {
  var own = R.messages[R.messagesOf[spec.kind] || spec.kind] || {};
  var any = R.messages.any;
  var t = own[why] || any[why] || own.other || any.other;
  return t.replace(/\{(label|min|max)\}/g, function (all, k) {
    return String(spec[k]);
  });
}

// today as the server compares birth dates with it: yyyymmdd
function today() {
  var t = new Date();
  return t.getFullYear() * 10000 + (t.getMonth() + 1) * 100 + t.getDate();
}

// a field's value as ch_fields_check takes it: absent (null, undefined)
// or blank is missing, or nothing when not required; else checked. The
// kinds taken as sent (R.asTyped: the account forms') are not trimmed,
// only missing when empty, and read up to any NUL
function check(spec, raw, day) {
  var s = raw === null || raw === undefined ? '' : String(raw);
  var r;
  if (R.asTyped[spec.kind] && s !== '') {
    s = s.split('\u0000')[0];
    r = checkValue(spec, s, day === undefined ? today() : day);
  } else if ((s = trim(s)) === '') {
    r = spec.required ? refused('missing') : refused('none');
  } else {
    r = checkValue(spec, s, day === undefined ? today() : day);
  }
  r.message = r.why === 'none' ? null : message(spec, r.why);
  return r;
}

// a form's fields (the forms of lib/ch_field_specs.c), as specs
function form(name) {
  return (R.forms[name] || []).map(function (key) {
    return R.fields[key];
  });
}

// the spec of a form's field
function spec(formName, name) {
  var f = form(formName).filter(function (s) {
    return s.name === name;
  })[0];
  if (!f) {
    throw new Error('no field ' + formName + '.' + name);
  }
  return f;
}

// a mainland mobile number as the server keeps it, or null
function normalizePhone(raw) {
  var s = trim(raw || '');
  return s === '' ? null : checkPhone(bytes(s)).value;
}

export { check, form, spec, trim, today, normalizePhone };
