import { expect, test } from '@playwright/test';
import { ask, base, closeContexts, customerPage, PHONE, shot, track } from './support';

test.afterEach(closeContexts);

test('a customer asks what the knowledge base answers and gets a cited reply', async ({
  browser,
}) => {
  const page = await customerPage(browser);
  await shot(page, '01-widget-open-desktop');
  await ask(page, 'What is your returns policy?');

  const reply = page
    .locator('[data-cc="message"][data-author="ai"]')
    .filter({ hasText: /returned within 30 days/ });
  await expect(reply).toBeVisible();
  await expect(reply).not.toHaveAttribute('data-streaming', 'true');
  const citation = reply.locator('[data-cc="citation"]').first();
  await expect(citation).toBeVisible();
  await citation.click();
  await expect(page.locator('[data-cc="source-panel"]')).toContainText(/return/i);
  await shot(page, '02-widget-cited-reply-desktop');

  // the same conversation comes back after a reload
  await page.reload();
  await page.locator('[data-cc="launcher"]').click();
  await expect(
    page.locator('[data-cc="message"][data-author="ai"]').filter({ hasText: /30 days/ }),
  ).toBeVisible();
});

test('the widget works on a phone-sized screen', async ({ browser }) => {
  const context = await track(browser.newContext({ viewport: PHONE }));
  const page = await context.newPage();
  await page.goto(`${base()}/`);
  await shot(page, '03-demo-site-phone');
  await page.locator('[data-cc="launcher"]').click();
  const panel = page.locator('[data-cc="panel"]');
  await expect(panel).toBeVisible();
  await ask(page, 'How much does delivery cost?');
  await expect(
    page.locator('[data-cc="message"][data-author="ai"]').filter({ hasText: /delivery/i }),
  ).toBeVisible();
  // full screen on a phone (measured once the opening animation is over)
  const box = await panel.boundingBox();
  expect(box?.width).toBeGreaterThanOrEqual(PHONE.width - 1);
  await shot(page, '04-widget-reply-phone');
});
