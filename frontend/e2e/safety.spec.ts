import { expect, test } from '@playwright/test';
import { ask, closeContexts, customerPage, draftIds, shot, staffPage } from './support';

test.afterEach(closeContexts);

const tileValue = async (page: import('@playwright/test').Page, key: string) =>
  Number(await page.locator(`[data-testid="tile-${key}"]`).getAttribute('data-value'));

test('a safety message is an urgent item for agents and moves the supervisor dashboard', async ({
  browser,
}) => {
  const supervisor = await staffPage(browser, 'supervisor@demo.example', '/supervisor');
  await expect(supervisor.locator('[data-testid="tile-queue_depth"]')).toBeVisible();
  const queueBefore = await tileValue(supervisor, 'queue_depth');
  const escalationsBefore = await tileValue(supervisor, 'escalations');
  await shot(supervisor, '08-supervisor-before');

  const agent = await staffPage(browser, 'agent@demo.example', '/agent');
  const before = new Set(await draftIds(agent));

  const customer = await customerPage(browser);
  await ask(
    customer,
    'I started the new blood pressure tablets yesterday and now my face and lips are swelling',
  );
  await expect(customer.locator('[data-cc="review-state"]')).toBeVisible();

  const urgent = agent.locator(
    '[data-testid="draft-row"][data-category="safety_compliance"][data-priority="urgent"]',
  );
  await expect
    .poll(async () => (await draftIds(agent)).filter((id) => !before.has(id)).length)
    .toBe(1);
  await expect(urgent.first()).toBeVisible();
  // safety comes first in the queue
  expect(
    await agent.locator('[data-testid="draft-row"]').first().getAttribute('data-category'),
  ).toBe('safety_compliance');
  await shot(agent, '09-agent-urgent-safety');

  // pushed to the open dashboard, no reload
  await expect.poll(() => tileValue(supervisor, 'queue_depth')).toBe(queueBefore + 1);
  await expect.poll(() => tileValue(supervisor, 'escalations')).toBeGreaterThan(escalationsBefore);
  await shot(supervisor, '10-supervisor-after');
});
