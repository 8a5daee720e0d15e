// Journey (d): the demo applicant's 我的订单 (make run's demo data: orders
// in 待支付, 待收货 and two 已完成; a draft, which belongs to 我的申请):
// search by order number, filter by state, clear.
import { DEMO_VERIFIED as DEMO } from './lib/accounts.mjs';
import { fill, click, waitText, loginByPassword, visit, submitAndGo, tableRows, assert, assertEqual } from './lib/user.mjs';

const PENDING = 'UO202612070930000001';   // 待支付
const SHIPPED = 'UO202612010930000002';   // 待收货
const DONE = 'UO202611150930000003';      // 已完成, invoiced
const DRAFT = 'UO202612060930000004';     // 我的申请's, not here

function ids(rows) {
  return rows.map((r) => r.join(' ').match(/UO\d{18}/)?.[0]).filter(Boolean);
}

async function loaded(page) {
  await page.waitForSelector('#orders-loading', { hidden: true });
}

export const journeys = [{
  name: 'orders',
  async run(j) {
    const page = j.page;

    await j.step('我的订单 lists the submitted orders, newest first', async () => {
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await visit(j, '/orders.html');
      await waitText(page, '#orders-title', '我的订单');
      await loaded(page);
      await page.waitForSelector('#orders-wrap', { visible: true });
      const rows = await tableRows(page, '#orders-body');
      const list = ids(rows);
      assert(list.includes(PENDING) && list.includes(SHIPPED) && list.includes(DONE),
             `the orders are listed: ${list.join(', ')}`);
      assert(!list.includes(DRAFT), 'the draft is not (it is 我的申请\'s)');
      assertEqual(list[0], PENDING, 'the newest first');
      const pending = rows.find((r) => r.join(' ').includes(PENDING)).join(' ');
      assert(pending.includes('待支付'), `its state is shown: ${pending}`);
    });

    await j.step('search by order number', async () => {
      await fill(page, '#f-q', SHIPPED);
      await submitAndGo(page, '#filter-form button[type=submit]');
      assertEqual(new URL(page.url()).searchParams.get('q'), SHIPPED, 'the search is in the address');
      await loaded(page);
      const rows = await tableRows(page, '#orders-body');
      assertEqual(ids(rows).join(','), SHIPPED, 'the orders found');
      assert(rows[0].join(' ').includes('待收货'), `its state: ${rows[0].join(' ')}`);
      assertEqual(await page.$eval('#f-q', (e) => e.value), SHIPPED, 'the search box keeps the number');
    });

    await j.step('filter 订单状态 已完成', async () => {
      await fill(page, '#f-q', '');
      await page.select('#f-state', 'completed');
      await submitAndGo(page, '#filter-form button[type=submit]');
      await loaded(page);
      const rows = await tableRows(page, '#orders-body');
      const list = ids(rows);
      assert(list.length >= 1 && list.includes(DONE), `the completed orders: ${list.join(', ')}`);
      for (const r of rows) assert(r.join(' ').includes('已完成'), `only 已完成: ${r.join(' ')}`);
      assertEqual(await page.$eval('#f-state', (e) => e.value), 'completed', 'the filter is kept');
    });

    await j.step('a search that finds nothing says so', async () => {
      await fill(page, '#f-q', PENDING);   // 待支付, not 已完成
      await submitAndGo(page, '#filter-form button[type=submit]');
      await loaded(page);
      await page.waitForSelector('#orders-empty', { visible: true });
      const said = await waitText(page, '#orders-empty', /./);
      assert(said.length > 0, 'an empty result is explained');
      assertEqual((await tableRows(page, '#orders-body')).length, 0, 'rows shown');
    });

    await j.step('清除条件 shows every order again', async () => {
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
                         click(page, '#filter-form a[href="/orders.html"]')]);
      await loaded(page);
      const list = ids(await tableRows(page, '#orders-body'));
      assert(list.includes(PENDING) && list.includes(SHIPPED) && list.includes(DONE), `all again: ${list.join(', ')}`);
      assertEqual(await page.$eval('#f-state', (e) => e.value), '', 'the state filter is cleared');
    });
  },
}];
