import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's Chromium, as .ci/run installs it. */
export const CHROMIUM = process.env.DOCKET_CHROMIUM ?? "/usr/bin/chromium";
/** Screenshots for review: an ignored folder (.gitignore). */
export const SCREENSHOTS = "screenshots";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** A fresh page (own cookies) that accepts every confirm() and fails the test on a script error. */
export async function freshPage(browser: Browser): Promise<{ page: Page; errors: Error[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on("pageerror", (error) => errors.push(error));
  page.on("dialog", (dialog) => void dialog.accept());
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
