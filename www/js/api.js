// api.js (import * as api from './api.js'): the website's one way to call /api/ (see the API contract
// in API.md).
//
//   api.get('/api/me').then(function (me) { ... });
//   api.post('/api/session', { phone: p, password: pw })
//     .catch(function (err) { err.status, err.code, err.field, err.message,
//                             err.retryAfter });
//
// Bodies go as application/x-www-form-urlencoded; answers are parsed as
// JSON. Every request other than GET/HEAD carries the X-CSRF-Token header,
// taken from the certhall_csrf cookie (or, failing that, from the last
// csrf_token an answer carried). A failure of any kind -- an error answer,
// an answer that is not JSON, no network -- rejects with an Error that has
// status (0 without an answer), code, field (or null), message (Chinese,
// for the user), retryAfter (seconds, or null) and missing (the list of
// [{item, message}] a 422 `incomplete` carries, or null).
//
//   api.upload('/api/orders/UO…/materials/id_front', file,
//              { progress: function (sent, total) { ... } })
//
// sends one file as multipart/form-data (its part named `file`) with the
// same header and the same answers; see upload() below.
//
//   api.mine('/api/me')
//
// is a GET of the account's own data: without the session's cookies
// (no certhall_csrf cookie and no token from an answer: nobody has logged
// in in this browser, or 退出 ended the session) it rejects at once, as
// the API would, with 401 not_logged_in, and asks nothing -- so a visitor's
// page makes no failed request (no error in the browser's console). A
// session the database has ended still gets the API's own 401.

var CSRF_COOKIE = 'certhall_csrf';
var lastToken = null;

var MESSAGES = {
  0: '网络连接失败，请检查网络后重试。',
  400: '提交的信息有误，请检查后重试。',
  401: '请先登录。',
  403: '没有权限进行此操作，请刷新页面后重试。',
  404: '请求的内容不存在。',
  409: '操作与当前状态冲突，请刷新页面后重试。',
  413: '提交的内容过大。',
  415: '文件类型不支持。',
  422: '不符合办理条件。',
  423: '账号已被锁定，请稍后再试。',
  429: '操作过于频繁，请稍后再试。',
  // the storage is full (an upload): not "unavailable", the rest works
  507: '服务器存储空间已满，文件未能保存，请稍后再试。'
};

function defaultMessage(status) {
  if (MESSAGES[status]) {
    return MESSAGES[status];
  }
  return status >= 500 ? '服务暂时不可用，请稍后再试。'
                       : '请求失败（' + status + '），请稍后再试。';
}

function cookie(name) {
  var parts = document.cookie ? document.cookie.split(';') : [];
  for (var i = 0; i < parts.length; i++) {
    var p = parts[i].replace(/^\s+/, '');
    var eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq) === name) {
      try {
        return decodeURIComponent(p.slice(eq + 1));
      } catch (e) {
        return p.slice(eq + 1);
      }
    }
  }
  return null;
}

function csrfToken() {
  return cookie(CSRF_COOKIE) || lastToken;
}

// an object (null and undefined values left out; arrays repeat the
// name), URLSearchParams, or a <form>
function encode(data) {
  if (data === null || data === undefined) {
    return null;
  }
  if (data instanceof URLSearchParams) {
    return data;
  }
  if (typeof HTMLFormElement !== 'undefined' && data instanceof HTMLFormElement) {
    return new URLSearchParams(new FormData(data));
  }
  var params = new URLSearchParams();
  Object.keys(data).forEach(function (name) {
    var v = data[name];
    if (v === null || v === undefined) {
      return;
    }
    (Array.isArray(v) ? v : [v]).forEach(function (x) {
      params.append(name, String(x));
    });
  });
  return params;
}

// Retry-After is delta-seconds, or (rarely) an HTTP date
function retryAfter(res) {
  var h = res.headers.get('Retry-After');
  if (!h) {
    return null;
  }
  h = h.trim();
  if (/^\d+$/.test(h)) {
    return parseInt(h, 10);
  }
  var t = Date.parse(h);
  return isNaN(t) ? null : Math.max(0, Math.ceil((t - Date.now()) / 1000));
}

function ApiError(status, code, field, message, after, missing) {
  var e = new Error(message);
  e.name = 'ApiError';
  e.status = status;
  e.code = code;
  e.field = field || null;
  e.message = message;
  e.retryAfter = after === undefined ? null : after;
  e.missing = Array.isArray(missing) ? missing : null;
  return e;
}

function request(method, path, data) {
  method = String(method).toUpperCase();
  var headers = { 'Accept': 'application/json' };
  var init = {
    method: method,
    credentials: 'same-origin',
    // always asks the hall, but lets the browser keep an answer the hall
    // marks with an ETag (the catalog, agreements, downloads) and
    // revalidate it: a 304 instead of the whole list again.  Answers
    // marked no-store (everything with a session) are never kept.
    cache: 'no-cache',
    headers: headers
  };
  var params = encode(data);
  var query = params ? params.toString() : '';

  if (method === 'GET' || method === 'HEAD') {
    if (query) {
      path += (path.indexOf('?') < 0 ? '?' : '&') + query;
    }
  } else {
    if (params) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
      init.body = query;
    }
    var token = csrfToken();
    if (token) {
      headers['X-CSRF-Token'] = token;
    }
  }

  return fetch(path, init).then(function (res) {
    return res.text().then(function (text) {
      return answer(res, text);
    });
  }).catch(function (e) {
    // fetch itself failed (no network, blocked), or the body did not arrive
    if (e && e.name === 'ApiError') {
      throw e;
    }
    throw ApiError(0, 'network_error', null, defaultMessage(0), null);
  });
}

// an answer as request() resolves (the JSON) or rejects (an ApiError):
// res has ok, status and headers.get (a fetch() Response, or the stand-in
// upload() makes of an XMLHttpRequest), text is its body
function answer(res, text) {
  var json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch (e) {
      json = undefined;
    }
  }

  if (res.ok) {
    if (json === undefined) {
      throw ApiError(res.status, 'bad_response', null,
                     '服务器返回了无法识别的内容，请稍后再试。', null);
    }
    if (json && typeof json.csrf_token === 'string') {
      lastToken = json.csrf_token;
    }
    return json;
  }

  if (res.status === 401) {
    lastToken = null;
  }
  var err = (json && typeof json.error === 'object' && json.error) || {};
  throw ApiError(res.status,
                 typeof err.code === 'string' ? err.code : 'http_' + res.status,
                 typeof err.field === 'string' ? err.field : null,
                 typeof err.message === 'string' && err.message
                   ? err.message : defaultMessage(res.status),
                 retryAfter(res), err.missing);
}

// POST one file as multipart/form-data, its part named `file` (with the
// file's name), carrying the X-CSRF-Token header: resolves and rejects as
// request() does. XMLHttpRequest, because fetch() tells nothing of how
// much of a body has gone out. o (optional):
//   progress(sent, total)  as the body goes out (bytes of the whole body)
//   sent()                 once all of it is out: the server checks it now
//   signal                 an AbortSignal: rejects with code 'aborted'
function upload(path, file, o) {
  o = o || {};
  return new Promise(function (resolve, reject) {
    var xhr = new XMLHttpRequest();
    var body = new FormData();
    body.append('file', file, file.name);
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    var token = csrfToken();
    if (token) {
      xhr.setRequestHeader('X-CSRF-Token', token);
    }
    if (o.progress) {
      xhr.upload.addEventListener('progress', function (ev) {
        o.progress(ev.loaded, ev.lengthComputable ? ev.total : 0);
      });
    }
    if (o.sent) {
      xhr.upload.addEventListener('load', function () {
        o.sent();
      });
    }
    xhr.addEventListener('load', function () {
      var res = {
        ok: xhr.status >= 200 && xhr.status < 300,
        status: xhr.status,
        headers: { get: function (name) { return xhr.getResponseHeader(name); } }
      };
      try {
        resolve(answer(res, xhr.responseText));
      } catch (e) {
        reject(e);
      }
    });
    xhr.addEventListener('error', function () {
      reject(ApiError(0, 'network_error', null, defaultMessage(0), null));
    });
    xhr.addEventListener('abort', function () {
      reject(ApiError(0, 'aborted', null, '已取消上传。', null));
    });
    if (o.signal) {
      if (o.signal.aborted) {
        reject(ApiError(0, 'aborted', null, '已取消上传。', null));
        return;
      }
      o.signal.addEventListener('abort', function () {
        xhr.abort();
      });
    }
    xhr.send(body);
  });
}

function mine(path, query) {
  if (!csrfToken()) {
    return Promise.reject(ApiError(401, 'not_logged_in', null, '请先登录', null));
  }
  return request('GET', path, query);
}

function get(path, query) { return request('GET', path, query); }
function post(path, data) { return request('POST', path, data); }
function put(path, data) { return request('PUT', path, data); }
function del(path, data) { return request('DELETE', path, data); }

// after logging out: forget the token an answer carried
function forgetToken() { lastToken = null; }

export { request, get, mine, post, put, del, upload, csrfToken, forgetToken };
// for the tests (t/js/api.test.mjs): a body as sent, an answer as read
export { encode, answer, ApiError, defaultMessage };
