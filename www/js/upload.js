// upload.js: one file to hand in -- a material of 资料上传, or the
// transfer voucher -- as a list item: its name (marked required), the note
// in brackets, the hint (支持jpg, bmp, png, pdf格式, 图片大小不超过2M,
// 扫描件必须为彩色), the picker 点击上传<name>, the upload with its
// progress (api.upload), the server's Chinese error beside it,
// and the file uploaded: its name and size, a thumbnail of an image (the
// server's own URL in <img>: the file is never opened as a page here), a
// link to a PDF, 删除 where the order allows it, and 查看示例 where the
// kind has an example (sample_url).
//
// Before sending, checks that only help: a file over max_bytes, an empty
// one, and one whose first bytes are no jpg, bmp, png or pdf (or not a
// format this material takes) are refused here with the reason, since the
// server would refuse them after the whole upload. The type is told by the
// content, as the server does, so a scan named .jfif still goes; the name
// only says what was chosen. The server stays the judge of everything.
//
//   var w = upload.material({
//     material: { kind, kind_name, note, hint, required, formats, max_bytes,
//                 sample_url, file },
//     url: '/api/orders/UO…/materials/id_front',  // POST here (DELETE too)
//     editable: true,       // the picker (false: only what was uploaded)
//     deletable: true,      // 删除 (DELETE url) when a file is there
//     extra: node,          // after the name: e.g. the 《申请表》 to print
//     uploaded: function (file) {},     // after an upload: the material object
//     deleted: function (answer) {},    // after 删除: DELETE's JSON
//     refused: function (err) {}        // after an error shown (not 401)
//   });
//   w.node (the <li>), w.input (the picker, or null), w.set(file),
//   w.busy() (an upload or a deletion under way)
//
import * as api from './api.js';
import { hide, show } from './ui/errors.js';
import { append, el, empty } from './ui/dom.js';
import { clause } from './ui/format.js';
import { toLogin } from './ui/page.js';
import * as dates from './dates.js';

var MIB = 1024 * 1024;
var ALL_FORMATS = ['jpg', 'bmp', 'png', 'pdf'];
var ACCEPT = {
  jpg: ['.jpg', '.jpeg', 'image/jpeg'],
  bmp: ['.bmp', 'image/bmp'],
  png: ['.png', 'image/png'],
  pdf: ['.pdf', 'application/pdf']
};

// a file's size in the unit its limit is said in (limitText: 2M is
// 2 MiB), so the two compare: "356.2K", "2.3M", "800字节"; one decimal,
// rounded up, so that a file over the limit never reads as within it
// (2,097,153 bytes is "2.1M", not "2.0M")
function sizeText(bytes) {
  function up(v) {
    return (Math.ceil(v * 10) / 10).toFixed(1);
  }
  if (bytes < 1024) {
    return bytes + '字节';
  }
  if (bytes < MIB) {
    return up(bytes / 1024) + 'K';
  }
  return up(bytes / MIB) + 'M';
}

// a limit as the hint and the server say it, exactly, never rounded:
// 2097152 -> "2M" (2 MiB), 512000 -> "500K", else bytes
function limitText(bytes) {
  if (bytes % MIB === 0) {
    return bytes / MIB + 'M';
  }
  return bytes % 1024 === 0 ? bytes / 1024 + 'K' : bytes + '字节';
}

// what the first bytes say a file is, as the server tells it (JPEG FF D8
// FF, PNG's eight bytes, BMP "BM", PDF "%PDF-"), or null
function sniff(b) {
  function starts(magic) {
    return magic.every(function (x, i) { return b[i] === x; });
  }
  if (starts([0xff, 0xd8, 0xff])) {
    return 'jpg';
  }
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return 'png';
  }
  if (starts([0x42, 0x4d])) {
    return 'bmp';
  }
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) {
    return 'pdf';
  }
  return null;
}

// the reason not to send the file (a promise of a message or null)
function precheck(file, m) {
  var formats = m.formats && m.formats.length ? m.formats : ALL_FORMATS;
  if (file.size === 0) {
    return Promise.resolve('所选文件“' + file.name + '”是空的，请重新选择。');
  }
  if (m.max_bytes > 0 && file.size > m.max_bytes) {
    return Promise.resolve('所选文件大小为' + sizeText(file.size) + '，超过了'
      + limitText(m.max_bytes) + '的上限，请压缩图片或降低扫描分辨率后再上传。');
  }
  if (!file.slice || typeof Blob === 'undefined' || !Blob.prototype.arrayBuffer) {
    return Promise.resolve(null);
  }
  return file.slice(0, 8).arrayBuffer().then(function (buf) {
    var type = sniff(new Uint8Array(buf));
    if (!type) {
      return '所选文件“' + file.name + '”不是' + formats.join(', ')
        + '格式的文件，请重新选择（只改扩展名不能改变文件格式）。';
    }
    if (formats.indexOf(type) < 0) {
      return '此项资料只支持' + formats.join(', ') + '格式，所选文件“' + file.name
        + '”是' + type + '格式，请重新选择。';
    }
    return null;
  }, function () {
    return null;      // cannot be read here: the server will tell
  });
}

// 查看示例 (seed 000, beside each material): the kind's example
// (sample_url, an SVG of www/samples/) opens large over the page in a
// <dialog>; without one the link opens it in a new tab
var sampleBox = null;

function sampleDialog() {
  if (sampleBox) {
    return sampleBox;
  }
  var title = el('h2', { id: 'sample-title' });
  var img = el('img', { className: 'sample-image', alt: '' });
  var tab = el('a', { target: '_blank', rel: 'noopener' }, '在新标签页中打开');
  var close = el('button', { type: 'button', className: 'btn btn-secondary btn-small' }, '关闭');
  var dialog = el('dialog', { className: 'sample-dialog', 'aria-labelledby': 'sample-title' },
    el('div', { className: 'sample-head' }, title, close),
    img,
    el('p', { className: 'hint' }, '示例仅供参考，其中的姓名、号码均为虚构。', tab));
  close.addEventListener('click', function () {
    dialog.close();
  });
  // a click on the backdrop (the dialog itself, outside its content)
  dialog.addEventListener('click', function (ev) {
    if (ev.target === dialog) {
      dialog.close();
    }
  });
  document.body.appendChild(dialog);
  sampleBox = { dialog: dialog, title: title, img: img, tab: tab };
  return sampleBox;
}

function sampleLink(m, name) {
  var a = el('a', { href: m.sample_url, className: 'sample-link', target: '_blank',
                    rel: 'noopener', 'aria-label': name + '：查看示例' }, '查看示例');
  a.addEventListener('click', function (ev) {
    var box = sampleDialog();
    if (typeof box.dialog.showModal !== 'function') {
      return;         // the new tab, then
    }
    ev.preventDefault();
    box.title.textContent = name + '示例';
    box.img.src = m.sample_url;
    box.img.alt = name + '示例图';
    box.tab.href = m.sample_url;
    box.dialog.showModal();
  });
  return a;
}

function material(o) {
  var m = o.material;
  var name = m.kind_name || m.kind;
  var base = 'mat-' + m.kind;
  var ids = {
    hint: base + '-hint', input: base + '-input', status: base + '-status',
    error: base + '-error', progress: base + '-progress'
  };
  var file = null;
  var uploading = null;    // the AbortController of the upload under way
  var deleting = false;

  var hint = el('p', { className: 'hint', id: ids.hint }, m.hint || '');
  var shown = el('div', { className: 'material-file' });
  var status = el('p', { className: 'upload-status', id: ids.status, 'aria-live': 'polite' });
  var error = el('p', { className: 'field-error', id: ids.error, hidden: true });
  status.setAttribute('role', 'status');
  error.setAttribute('role', 'alert');
  var bar = el('progress', { id: ids.progress, max: 100, value: 0, hidden: true,
                             'aria-label': name + '上传进度' });
  var input = null, pick = null, cancel = null, remove = null;

  if (o.editable) {
    var formats = m.formats && m.formats.length ? m.formats : ALL_FORMATS;
    input = el('input', {
      type: 'file', id: ids.input, className: 'file-input',
      accept: [].concat.apply([], formats.map(function (f) { return ACCEPT[f] || []; })).join(','),
      'aria-describedby': ids.hint + ' ' + ids.status + ' ' + ids.error
    });
    pick = el('label', { htmlFor: ids.input, className: 'btn btn-secondary file-pick' });
    cancel = el('button', { type: 'button', className: 'btn btn-secondary btn-small', hidden: true },
                '取消上传');
    input.addEventListener('change', function () {
      var f = input.files && input.files[0];
      if (f) {
        send(f);
      }
    });
    cancel.addEventListener('click', function () {
      if (uploading) {
        uploading.abort();
      }
    });
  }
  if (o.deletable) {
    remove = el('button', { type: 'button', className: 'btn btn-secondary btn-small', hidden: true },
                '删除');
    remove.addEventListener('click', del);
  }

  var node = el('li', { className: 'material', id: base },
    el('div', { className: 'material-head' },
      el('strong', { className: m.required ? 'required' : '' }, name),
      m.note ? '（' + m.note + '）' : null,
      m.required ? null : el('span', { className: 'optional' }, '选填'),
      o.extra || null,
      m.sample_url ? sampleLink(m, name) : null),
    o.editable ? hint : null,
    shown,
    o.editable || o.deletable
      ? el('div', { className: 'upload-actions' }, input, pick, cancel, remove) : null,
    bar, status, error);

  function busy() {
    return !!uploading || deleting;
  }

  function fit() {
    if (input) {
      input.disabled = busy();
      pick.classList.toggle('disabled', busy());
      pick.textContent = (file ? '重新上传' : '点击上传') + name;
      cancel.hidden = !uploading;
    }
    if (remove) {
      remove.hidden = !file || !!uploading;
      remove.disabled = busy();
    }
  }

  // the file uploaded (a material object), or none
  function set(f) {
    file = f || null;
    empty(shown);
    if (!file) {
      shown.appendChild(el('p', { className: 'hint none' }, o.editable ? '尚未上传。' : '未上传。'));
    } else {
      var image = /^image\//.test(file.media_type || '');
      var pdf = file.format === 'pdf' || file.media_type === 'application/pdf';
      var details = [String(file.format || '').toUpperCase(), sizeText(file.size || 0),
        image && file.width ? file.width + '×' + file.height + ' 像素' : null,
        pdf && file.pages ? file.pages + ' 页' : null,
        file.uploaded_at ? '上传于 ' + dates.time(file.uploaded_at) : null
      ].filter(Boolean).join(' · ');
      append(shown, [
        image
          ? el('a', { className: 'thumb', href: file.url, target: '_blank', rel: 'noopener' },
               el('img', { src: file.url, alt: '已上传的' + name + '（点击在新窗口查看大图）' }))
          : el('a', { className: 'thumb thumb-pdf', href: file.url, target: '_blank', rel: 'noopener' },
               'PDF', el('span', { className: 'visually-hidden' }, '：在新窗口查看已上传的' + name)),
        el('div', { className: 'file-meta' },
          el('strong', null, file.name || name),
          el('span', { className: 'sub' }, details),
          pdf ? el('a', { href: file.url, target: '_blank', rel: 'noopener' },
                   '查看PDF（在新窗口打开）') : null)
      ]);
    }
    fit();
  }

  function say(text) {
    status.textContent = text;
  }

  // err: the refusal; f: the file chosen, when it was refused (named,
  // and the file already uploaded said to stay)
  function fail(err, f) {
    bar.hidden = true;
    say('');
    if (err.code === 'aborted') {        // asked for: no error
      say('已取消上传。');
      return;
    }
    if (err.status === 401) {
      toLogin();
      return;
    }
    var message = err.message;
    if (err.code === 'http_413') {          // no JSON: a limit before ours
      message = '文件过大，请上传不超过' + limitText(m.max_bytes || 2 * MIB) + '的文件。';
    } else if (err.code === 'network_error') {
      message = '上传中断：网络连接失败，或文件未被接受。请检查网络、文件格式和大小后重试。';
    }
    if (f) {
      message = '“' + f.name + '”未上传：' + clause(message)
        + (file ? '，仍保留原文件“' + (file.name || name) + '”' : '') + '。';
    }
    show(error, message);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
    }
    if (o.refused) {
      o.refused(err);
    }
  }

  function clear() {
    hide(error);
    if (input) {
      input.removeAttribute('aria-invalid');
    }
  }

  function send(f) {
    if (busy()) {
      return;
    }
    clear();
    say('');
    input.value = '';            // the same file can be chosen again
    uploading = new AbortController();
    var mine = uploading;
    fit();                       // the picker is off meanwhile: it loses the focus
    // ...which comes back to it, unless it went somewhere else since
    function refocus() {
      var a = document.activeElement;
      if (!a || a === document.body || (node.contains(a) && a !== input)) {
        input.focus();
      }
    }
    precheck(f, m).then(function (problem) {
      if (mine.signal.aborted) {
        throw { status: 0, code: 'aborted', message: '已取消上传。' };
      }
      if (problem) {
        throw { status: 0, code: 'precheck', message: problem };
      }
      var step = -1;
      bar.value = 0;
      bar.hidden = false;
      say('正在上传“' + f.name + '”…');
      return api.upload(o.url, f, {
        signal: mine.signal,
        progress: function (sent, total) {
          var pct = total > 0 ? Math.min(100, Math.floor(sent * 100 / total)) : 0;
          bar.value = pct;
          // the live region speaks every tenth, not every event
          if (Math.floor(pct / 10) !== step) {
            step = Math.floor(pct / 10);
            say('正在上传“' + f.name + '”：' + pct + '%');
          }
        },
        sent: function () {
          bar.value = 100;
          say('“' + f.name + '”已发送，正在检查文件…');
        }
      });
    }).then(function (got) {
      uploading = null;
      bar.hidden = true;
      set(got);
      say(name + '已上传：' + (got.name || f.name) + '。');
      refocus();
      if (o.uploaded) {
        o.uploaded(got);
      }
    }, function (err) {
      uploading = null;
      fit();
      refocus();
      fail(err, f);
    });
  }

  function del() {
    if (busy() || !file
        || !window.confirm('确定删除已上传的' + name + '“' + (file.name || '') + '”吗？')) {
      return;
    }
    clear();
    deleting = true;
    fit();
    say('正在删除…');
    api.del(o.url).then(function (answer) {
      deleting = false;
      set(null);
      say(name + '已删除。');
      if (input) {
        input.focus();
      }
      if (o.deleted) {
        o.deleted(answer);
      }
    }, function (err) {
      deleting = false;
      fit();
      fail(err);
    });
  }

  set(m.file);
  return { node: node, input: input, set: set, busy: busy };
}

export { material, sizeText };
// for the tests (t/js/upload.test.mjs): the checks before sending
export { precheck, limitText, sniff };
