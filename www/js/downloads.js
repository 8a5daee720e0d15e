// downloads.html, 下载中心 (public, no login): GET /api/downloads, the
// files grouped by category (空白表格, 驱动程序, 使用手册) in the order the
// server gives, each row its title and description, the project it is for
// (通用 for every project), 版本 vN, 更新日期, size, the SHA-256 (short,
// the whole of it under a <details> with 复制, to check the file after
// downloading it) and 下载. 申请项目 (?project=CODE in the address, so
// reload and back keep it) narrows the list to that project's files and
// the general ones (a project the hall does not know: every file, said
// so). Each cell carries its column's name (data-label) for
// the phone's card layout (site.css).
import * as api from './api.js';
import { el, empty } from './ui/dom.js';
import { loadFailed } from './ui/page.js';
import * as dates from './dates.js';
import { copy } from './copy.js';
import './nav.js';


function $(id) {
  return document.getElementById(id);
}

var COLUMNS = ['文件', '适用项目', '版本', '更新日期', '大小', 'SHA-256', '下载'];
var SHORT_SHA = 12;
var project = (new URLSearchParams(window.location.search).get('project') || '').trim();

// 1.5 KB, 12.3 MB: what a download costs, to one decimal
function sizeText(bytes) {
  if (typeof bytes !== 'number' || !(bytes >= 0)) {
    return '';
  }
  if (bytes < 1024 * 1024) {
    return Math.max(0.1, bytes / 1024).toFixed(1) + ' KB';
  }
  return (bytes / (1024 * 1024)).toFixed(1) + ' MB';
}

// 复制 the whole checksum (copy.js: selected where the clipboard
// is refused)
function copyButton(code, said) {
  var btn = el('button', { type: 'button', className: 'btn-link copy' }, '复制');
  btn.addEventListener('click', function () {
    copy(code, said);
  });
  return btn;
}

function shaCell(sha) {
  sha = String(sha || '');
  var full = el('code', { className: 'sha-full' }, sha);
  var said = el('span', { className: 'copied', role: 'status' });
  return el('details', { className: 'sha' },
    el('summary', { title: sha },
       el('code', null, sha.slice(0, SHORT_SHA) + '…'),
       el('span', { className: 'visually-hidden' }, '，展开查看完整校验值')),
    full, ' ', copyButton(full, said), said);
}

function row(d) {
  var cells = [
    el('td', { className: 'dl-title' }, el('strong', null, d.title),
       d.description ? el('span', { className: 'sub' }, d.description) : null),
    el('td', null, d.project ? d.project_name || d.project : '通用'),
    el('td', { className: 'num' }, '版本 v' + d.version),
    el('td', { className: 'num' },
       el('time', { dateTime: d.updated_at || '' }, dates.day(d.updated_at))),
    el('td', { className: 'num', title: d.size_bytes + ' 字节' }, sizeText(d.size_bytes)),
    el('td', { className: 'num' }, shaCell(d.sha256)),
    el('td', { className: 'num actions' },
       el('a', { href: d.url, download: '', 'aria-label': '下载 ' + d.title + '（' + d.file_name + '）' },
          '下载'))
  ];
  cells.forEach(function (td, i) {
    td.setAttribute('data-label', COLUMNS[i]);
  });
  return el('tr', null, cells);
}

// one category: its heading and its table
function group(cat, items) {
  var id = 'dl-cat-' + cat.code;
  return el('section', { className: 'dl-group', 'aria-labelledby': id },
    el('h2', { id: id }, cat.name),
    el('div', { className: 'table-wrap' },
      el('table', { className: 'list cards' },
        el('caption', { className: 'visually-hidden' }, cat.name),
        el('thead', null, el('tr', null, COLUMNS.map(function (c) {
          return el('th', { scope: 'col' }, c);
        }))),
        el('tbody', null, items.map(row)))));
}

function render(r) {
  var all = (r && r.downloads) || [];
  var box = empty($('dl-groups'));
  var cats = ((r && r.categories) || []).slice();
  // a category the list has but the categories lack still shows
  all.forEach(function (d) {
    if (!cats.some(function (c) { return c.code === d.category; })) {
      cats.push({ code: d.category, name: d.category_name || d.category });
    }
  });
  cats.forEach(function (c) {
    var items = all.filter(function (d) { return d.category === c.code; });
    if (items.length) {
      box.appendChild(group(c, items));
    }
  });
  $('dl-loading').hidden = true;
  $('dl-empty').hidden = all.length > 0;
  $('dl-empty').textContent = project ? '该项目暂无可下载的文件。' : '暂无可下载的文件。';
}

// 申请项目: the active projects; the one chosen is said above the list
api.get('/api/projects').then(function (r) {
  var select = $('dl-project');
  ((r && r.projects) || []).forEach(function (p) {
    select.appendChild(el('option', { value: p.code, selected: p.code === project }, p.name));
  });
  select.value = project;
  if (select.selectedIndex > 0) {
    $('dl-filter-note').hidden = false;
    $('dl-filter-note').textContent = '显示“' + select.options[select.selectedIndex].text
      + '”专用的文件和各项目通用的文件。';
  }
}, function () { /* without the names: 全部项目 still works */ });

// an address naming a project the hall does not have (404): every file
function unknownProject(err) {
  if (err.status !== 404 || !project) {
    throw err;
  }
  project = '';
  $('dl-project').value = '';
  $('dl-filter-note').hidden = false;
  $('dl-filter-note').textContent = '没有找到该申请项目，以下是全部文件。';
  return api.get('/api/downloads');
}

api.get('/api/downloads', project ? { project: project } : null)
  .then(null, unknownProject)
  .then(render, loadFailed($('dl-loading')));
