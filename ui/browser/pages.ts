/// <reference types="node" />
// What the browser tests share: the UI served by Vite's dev server, headless
// Chromium (Debian's `chromium`, driven by playwright-core), and pages of the
// real UI with the Rust side replaced by FakeBackend (harness.ts).
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, expect } from "vitest";
import type { Link } from "../src/lib/api";
import type { FakeBackend } from "./fake-backend";

const root = fileURLToPath(new URL("..", import.meta.url));
const shots = fileURLToPath(new URL("../../target/screenshots/", import.meta.url));
let server: ViteDevServer;
let browser: Browser;
let base = "";
/** Contexts being closed after their page: awaited before the browser goes. */
const closing: Promise<void>[] = [];

/** Starts the server and the browser before the file's tests, stops them after. */
export function useBrowser() {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await createServer({ root, logLevel: "error", server: { port: 0, host: "127.0.0.1" } });
    await server.listen();
    const address = server.httpServer?.address();
    if (!address || typeof address === "string") throw new Error("no dev server address");
    base = `http://127.0.0.1:${address.port}/browser/index.html`;
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium" });
  }, 60_000);

  afterAll(async () => {
    // The last page's context may still be closing: closing the browser under
    // it would reject that promise with no one left to catch it.
    await Promise.all(closing.splice(0));
    await browser?.close();
    await server?.close();
  });
}

/** A page of the UI in the state `query` asks for (see harness.ts). */
export async function open(query: string, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  // A context of its own (axe-core opens a second page in it), closed with the page.
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 }, colorScheme });
  const page = await context.newPage();
  page.on("close", () => closing.push(context.close()));
  page.setDefaultTimeout(8_000);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${base}?${query}`);
  // Mounted: the first screen is up (keyboard shortcuts need it).
  await page.locator("main header, main form, main section").first().waitFor();
  expect(errors).toEqual([]);
  return page;
}

/** Runs `read` against the page's FakeBackend. */
export function fake<T>(page: Page, read: (fake: FakeBackend) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(window.fake)`) as Promise<T>;
}

/** A Runtype intake link as Rust hands it over, for the "rt" remote of `?intake=1`. */
export const intakeLink: Link = {
  action: "intake",
  remote: "rt",
  source: "manual",
  key: "onboarding",
  keys: [],
  productId: null,
  returnUrl: null,
  expires: null,
};

/** A keyhaven:// link (as Rust hands it over), or the reason Rust refused it, arrives. */
export function deliver(page: Page, link: Link | string): Promise<void> {
  return page.evaluate((link) => (window as unknown as { fake: FakeBackend }).fake.deliver(link), link);
}

/** Saves what the page shows as ../target/screenshots/browser-NAME.png. */
export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${shots}browser-${name}.png` });
}
