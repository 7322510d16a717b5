// A page opened from disk in headless Chromium (Debian's, installed by set-up), recording console
// errors and every request but data: URIs. SELFSUP_SKIP_BROWSER=1 skips the tests that use it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/lib/chromium/chromium';
export const skipBrowser = process.env.SELFSUP_SKIP_BROWSER === '1' ? 'SELFSUP_SKIP_BROWSER=1' : false;

/** Opens `url`, runs `fn` on the page, and returns the console errors and requests seen. */
export async function withPage(url: string, fn: (page: Page) => Promise<void>): Promise<{ errors: string[]; requests: string[] }> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium ('npm run setup' does), or set SELFSUP_SKIP_BROWSER=1`);
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => void errors.push(e.message));
    page.on('request', (r) => void (r.url().startsWith('data:') || requests.push(r.url())));
    await page.goto(url, { waitUntil: 'load' });
    await fn(page);
    return { errors, requests };
  } finally {
    await browser.close();
  }
}
