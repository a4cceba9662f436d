/**
 * Headless Debian chromium for the browser tests, driven by playwright-core. The flags keep it off the
 * network: this machine reaches no host but the package registries, and without them chromium keeps
 * trying (background networking, component updates, sync, QUIC).
 */
import type { Browser, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** A headless chromium (the caller closes it). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 60_000,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A new page whose console messages and uncaught errors are collected, in order, into `logs`. */
export async function loggedPage(browser: Browser): Promise<{ page: Page; logs: string[] }> {
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on("console", (msg) => logs.push(msg.text()));
  page.on("pageerror", (err) => logs.push(String(err)));
  return { page, logs };
}
