// Pagination of a list: 上一页 第 2 / 5 页，共 93 条 下一页, the links
// made by href(page). pageOf() is the arithmetic (pure).
import { el, append, empty } from './dom.js';

// { page, pages } of an answer { total, page, per_page } (20 a page when
// not said), the page kept within 1..pages
export function pageOf(r) {
  const per = r.per_page > 0 ? r.per_page : 20;
  const pages = Math.max(1, Math.ceil((r.total || 0) / per));
  return { page: Math.min(Math.max(1, r.page || 1), pages), pages: pages };
}

export function pager(nav, r, href) {
  const { page, pages } = pageOf(r);
  empty(nav);
  nav.hidden = !r.total;
  append(nav, [
    page > 1 ? el('a', { href: href(page - 1), rel: 'prev' }, '上一页') : null,
    el('span', null, '第 ' + page + ' / ' + pages + ' 页，共 ' + (r.total || 0) + ' 条'),
    page < pages ? el('a', { href: href(page + 1), rel: 'next' }, '下一页') : null
  ]);
}
