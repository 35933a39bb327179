/**
 * A real Chromium for browser tests, driven by playwright-core (the driver only: it downloads no browser).
 * The executable is the one scripts/stack/chromium.js finds (CHROME_PATH, `chromium` on the PATH,
 * /usr/bin/chromium), which the stack's install step puts there on Debian; without one, `launchBrowser`
 * throws the finder's advice, so the test fails saying what to do instead of being skipped.
 *
 *   const browser = await launchBrowser();
 *   const page = await (await newContext(browser, { baseURL: sys.apis[0]!.url, phone: true })).newPage();
 *   await page.goto('/#/restaurants');
 *   await screenshot(page, 'restaurant');   // .stack/run/screenshots/restaurant.png (+ web/screenshots/ with UPDATE_SCREENSHOTS=1)
 *   await browser.close();
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findChromium } from '../scripts/stack/chromium.js';
import { ROOT, RUN } from '../scripts/stack/layout.js';

/** Every run's screenshots (git-ignored). */
export const RUN_SCREENSHOTS = path.join(RUN, 'screenshots');
/** The committed ones the README shows: written only when UPDATE_SCREENSHOTS=1, so a test run leaves git clean. */
export const WEB_SCREENSHOTS = path.join(ROOT, 'web', 'screenshots');

/** A phone-sized viewport (a common 6.1" handset, CSS pixels). */
export const PHONE_VIEWPORT = { width: 390, height: 844 };
export const DESKTOP_VIEWPORT = { width: 1280, height: 800 };

/** How long one step (a click's target to appear, a navigation, a text to show) may take before the test fails. */
export const STEP_TIMEOUT_MS = 10000;

export async function launchBrowser(): Promise<Browser> {
  const found = findChromium();
  if (found.error !== undefined) throw new Error(found.error);
  return chromium.launch({
    executablePath: found.path,
    // playwright-core passes --no-sandbox itself unless asked for the sandbox, which Chromium refuses as root (CI runs as root)
    chromiumSandbox: false,
    timeout: 30000,
  });
}

/** A fresh browser context (own cookies and storage: one user each), desktop-sized unless `phone`. */
export async function newContext(browser: Browser, opts: { baseURL: string; phone?: boolean }): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: opts.baseURL,
    viewport: opts.phone ? PHONE_VIEWPORT : DESKTOP_VIEWPORT,
    deviceScaleFactor: opts.phone ? 2 : 1,
    isMobile: opts.phone ?? false,
    hasTouch: opts.phone ?? false,
    locale: 'en-US',
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return context;
}

/** A PNG of the page's viewport in .stack/run/screenshots/<name>.png, copied to web/screenshots/ when UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(RUN_SCREENSHOTS, { recursive: true });
  const file = path.join(RUN_SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? false, animations: 'disabled', caret: 'hide' });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(WEB_SCREENSHOTS, { recursive: true });
    copyFileSync(file, path.join(WEB_SCREENSHOTS, `${name}.png`));
  }
  return file;
}

/** Collects what the page logged as errors (console errors, uncaught exceptions), for a failing test's message. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}
