import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, expect, type Page } from '@playwright/test';

export const base = () => {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error('E2E_BASE_URL is set by e2e/global-setup.ts');
  return url;
};

const shots = resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'e2e');
mkdirSync(shots, { recursive: true });

/** Save a screenshot of the screen as a test artifact (test-artifacts/e2e/<name>.png). */
export const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });

export const PHONE = { width: 390, height: 844 };

const contexts: BrowserContext[] = [];
const consoleErrors: string[] = [];

/**
 * Remember a context so `closeContexts` (after each test) closes it, and collect what its pages
 * log as errors: a journey that works but logs errors is not done.
 */
export async function track(context: Promise<BrowserContext>): Promise<BrowserContext> {
  const opened = await context;
  contexts.push(opened);
  opened.on('page', (page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  });
  return opened;
}

export async function closeContexts() {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  const logged = consoleErrors.splice(0);
  expect(logged, 'errors in the browser console').toEqual([]);
}

/** A customer on the demo pharmacy site with the widget open. */
export async function customerPage(browser: Browser, viewport = { width: 1440, height: 900 }) {
  const context = await track(browser.newContext({ viewport }));
  const page = await context.newPage();
  await page.goto(`${base()}/`);
  await page.locator('[data-cc="launcher"]').click();
  await expect(page.locator('[data-cc="panel"]')).toBeVisible();
  return page;
}

export async function ask(page: Page, text: string) {
  await page.locator('[data-cc="input"]').fill(text);
  await page.locator('[data-cc="send"]').click();
  await expect(
    page.locator('[data-cc="message"][data-author="customer"]').filter({ hasText: text }),
  ).toBeVisible();
}

/** A staff member signed in, on `path`. */
export async function staffPage(browser: Browser, email: string, path: string) {
  const context = await track(browser.newContext({ viewport: { width: 1440, height: 900 } }));
  const page = await context.newPage();
  await page.goto(`${base()}${path}`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(process.env.E2E_PASSWORD ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${path}`);
  return page;
}

export const draftIds = (page: Page) =>
  page
    .locator('[data-testid="draft-row"]')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-draft-id') ?? ''));
