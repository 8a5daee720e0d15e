// Journey (d, continued): 我的订单's 提交时间 range, typed as a person types
// dates here (2026年12月7日, or 2026-12-07), on the demo applicant's orders
// (sql/demo.sql: one submitted within the hour, one 8 days ago, one 22);
// 04-orders does the order number and 订单状态. A date that is no date is
// said beside the fields and nothing is searched.
import { DEMO_VERIFIED as DEMO } from './lib/accounts.mjs';
import { fill, waitText, loginByPassword, visit, submitAndGo, click, tableRows, fieldErrorOf,
         assert, assertEqual } from './lib/user.mjs';

const PENDING = 'UO202612070930000001';   // submitted 50 minutes before make run's end
const SHIPPED = 'UO202612010930000002';   // submitted 8 days ago
const DONE = 'UO202611150930000003';      // submitted 22 days ago

// a Beijing calendar day `days` from today: { iso: 2026-12-07, zh: 2026年12月7日 }
function day(days) {
  const t = new Date(Date.now() + 8 * 3600e3 + days * 86400e3);
  const [y, m, d] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
  return { iso: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`, zh: `${y}年${m}月${d}日` };
}

function ids(rows) {
  return rows.map((r) => r.join(' ').match(/UO\d{18}/)?.[0]).filter(Boolean);
}

async function search(page) {
  await submitAndGo(page, '#filter-form button[type=submit]');
  await page.waitForSelector('#orders-loading', { hidden: true });
  return ids(await tableRows(page, '#orders-body'));
}

export const journeys = [{
  name: 'orders by date',
  async run(j) {
    const page = j.page;
    const from = day(-10), to = day(-5), since = day(-1);

    await j.step(`提交时间 ${from.zh} to ${to.zh}: only the order submitted then`, async () => {
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await visit(j, '/orders.html');
      await page.waitForSelector('#orders-loading', { hidden: true });
      await waitText(page, '#f-date-hint', '2026年12月7日');
      await fill(page, '#f-from', from.zh);
      await fill(page, '#f-to', to.zh);
      const list = await search(page);
      assertEqual(list.join(' '), SHIPPED, 'the orders found');
      const q = new URL(page.url()).searchParams;
      assertEqual(`${q.get('from')} ${q.get('to')}`, `${from.iso} ${to.iso}`, 'the range in the address');
      assertEqual(await page.$eval('#f-from', (e) => e.value), from.zh, 'the box keeps 年/月/日');
      const row = (await tableRows(page, '#orders-body'))[0].join(' ');
      assert(/\d{4}年\d{1,2}月\d{1,2}日/.test(row), `its 提交时间 as 年/月/日: ${row}`);
    });

    await j.step(`from ${since.iso} (typed with dashes): the order of today, not the older ones`, async () => {
      await fill(page, '#f-from', since.iso);
      await fill(page, '#f-to', '');
      const list = await search(page);
      assert(list.includes(PENDING), `the order of today: ${list.join(', ')}`);
      assert(!list.includes(SHIPPED) && !list.includes(DONE), `not the older ones: ${list.join(', ')}`);
      assertEqual(await page.$eval('#f-from', (e) => e.value), since.zh, 'shown as 年/月/日');
    });

    await j.step('a 提交时间 that is no date is said beside the field; nothing is searched', async () => {
      const before = page.url();
      await fill(page, '#f-from', '2026年13月40日');
      await click(page, '#filter-form button[type=submit]');
      const said = await waitText(page, '#f-date-error', '请按 2026年12月7日 或 2026-12-07 的格式填写提交时间');
      assert((await fieldErrorOf(page, '#f-from')).invalid, `the field is marked invalid (${said})`);
      assertEqual(page.url(), before, 'the address (nothing searched)');
    });
  },
}];
