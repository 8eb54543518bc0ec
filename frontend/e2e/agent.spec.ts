import { expect, test } from '@playwright/test';
import { ask, closeContexts, customerPage, draftIds, shot, staffPage } from './support';

test.afterEach(closeContexts);

test('an uncertain question reaches the agent live; the edited answer reaches the customer', async ({
  browser,
}) => {
  const agent = await staffPage(browser, 'agent@demo.example', '/agent');
  await expect(agent.getByRole('heading', { name: /queue/i }).first()).toBeVisible();
  const before = new Set(await draftIds(agent));

  const customer = await customerPage(browser);
  await ask(customer, 'Do you sell garden furniture?');
  await expect(customer.locator('[data-cc="review-state"]')).toBeVisible();

  // the draft arrives in the open queue without a reload
  await expect
    .poll(async () => (await draftIds(agent)).filter((id) => !before.has(id)).length)
    .toBe(1);
  const fresh = (await draftIds(agent)).find((id) => !before.has(id));
  await shot(agent, '05-agent-queue');
  await agent.locator(`[data-testid="draft-row"][data-draft-id="${fresh}"]`).click();
  const review = agent.locator('[data-testid="draft-review"]');
  await expect(review).toContainText('garden furniture');
  await shot(agent, '06-agent-draft-review');

  const answer = 'We do not sell garden furniture, but our Riverside store stocks sun care.';
  await agent.getByLabel('Reply to send').fill(answer);
  await agent.getByRole('button', { name: 'Send edited' }).click();
  await expect(agent.locator(`[data-testid="draft-row"][data-draft-id="${fresh}"]`)).toHaveCount(0);

  await expect(customer.locator('[data-cc="message"]').filter({ hasText: answer })).toBeVisible();
  await shot(customer, '07-customer-sees-agent-answer');
});
