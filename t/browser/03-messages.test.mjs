// Journey (c): 我的消息 of the demo applicant (two unread e-invoice
// messages in the demo data): reading one takes the header's unread count
// and the page's down by one, and it stays read after a reload.
import { DEMO_VERIFIED as DEMO } from './lib/accounts.mjs';
import { click, waitText, loginByPassword, visit, headerUnread, assert, assertEqual } from './lib/user.mjs';

async function waitUnread(page, n) {
  await page.waitForFunction((want) => {
    const b = document.querySelector('#account-nav .count-unread');
    const got = b && !b.hidden ? parseInt(b.firstChild.nodeValue, 10) : 0;
    return got === want;
  }, {}, n).catch(async () => {
    throw new Error(`the header's unread count is ${await headerUnread(page)}, not ${n}`);
  });
}

export const journeys = [{
  name: 'messages',
  async run(j) {
    const page = j.page;
    let before;

    await j.step('登录: the header counts the unread messages', async () => {
      await loginByPassword(j, DEMO.phone, DEMO.password);
      await waitText(page, '#account-nav', `欢迎您，${DEMO.masked}`);
      await page.waitForSelector('#account-nav .count-unread:not([hidden])');
      before = await headerUnread(page);
      assert(before >= 2, `the demo applicant has unread messages: ${before}`);
      await waitText(page, '#me-unread', String(before));
    });

    await j.step('我的消息 lists them, the unread marked', async () => {
      await visit(j, '/messages.html');
      await waitText(page, '#messages-unread', `您有 ${before} 条未读消息。`);
      await waitText(page, '#messages-list', '电子发票已开具');
      const unread = await page.$$eval('#messages-list li.unread', (l) => l.length);
      assertEqual(unread, before, 'messages marked 未读');
      await waitText(page, '#messages-list li.unread .badge-unread', '未读');
      await waitUnread(page, before);
    });

    await j.step('标为已读: the page and the header count one fewer', async () => {
      await click(page, '#messages-list li.unread .item-actions button');
      await waitText(page, '#messages-unread', `您有 ${before - 1} 条未读消息。`);
      await waitUnread(page, before - 1);
      const unread = await page.$$eval('#messages-list li.unread', (l) => l.length);
      assertEqual(unread, before - 1, 'messages still marked 未读');
    });

    await j.step('after a reload the message is still read', async () => {
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitText(page, '#messages-unread', `您有 ${before - 1} 条未读消息。`);
      await waitUnread(page, before - 1);
    });

    await j.step('全部标为已读: no unread message, the header badge gone', async () => {
      await click(page, '#read-all');
      await waitText(page, '#messages-unread', '没有未读消息。');
      await waitUnread(page, 0);
      await page.waitForSelector('#read-all', { hidden: true });
      assertEqual(await page.$$eval('#messages-list li.unread', (l) => l.length), 0, 'messages marked 未读');
    });
  },
}];
