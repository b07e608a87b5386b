/// <reference types="node" />
// Every screen of the UI in headless Chromium (Debian's `chromium`, driven by
// playwright-core), the Rust side replaced by FakeBackend through Tauri's IPC
// mocks. Screenshots go to ../target/screenshots/browser-*.png.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBackend } from "./fake-backend";
import { PASSPHRASE } from "./fake-backend";

const root = fileURLToPath(new URL("..", import.meta.url));
const shots = fileURLToPath(new URL("../../target/screenshots/", import.meta.url));
let server: ViteDevServer;
let browser: Browser;
let base = "";

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
  await browser?.close();
  await server?.close();
});

async function open(query: string, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 }, colorScheme });
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
function fake<T>(page: Page, read: (fake: FakeBackend) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(window.fake)`) as Promise<T>;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${shots}browser-${name}.png` });
}

describe("create vault", () => {
  it("asks for the passphrase twice and opens the empty list", async () => {
    const page = await open("state=fresh");
    await page.getByLabel("Master passphrase").fill(PASSPHRASE);
    await page.getByLabel("Repeat it").fill("something else");
    await shot(page, "create");
    await page.getByRole("button", { name: "Create vault" }).click();
    await page.getByText("The two passphrases differ.").waitFor();
    await page.getByLabel("Repeat it").fill(PASSPHRASE);
    await page.getByRole("button", { name: "Create vault" }).click();
    await page.getByText("No secrets yet: add one.").waitFor();
    await page.close();
  });
});

describe("secrets", () => {
  it("lists 10,000 secrets with only a window of rows in the page, and searches as you type", async () => {
    const page = await open("secrets=10000");
    await page.getByText("10000 of 10000").waitFor();
    const rows = await page.getByRole("option").count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(60);
    await page.getByLabel("Search secrets").fill("secret_0999");
    await page.getByText("10 of 10000").waitFor();
    await page.getByLabel("Search secrets").fill("");
    await page.getByLabel("Rotation due").check();
    await page.getByText("1 of 10000").waitFor();
    await shot(page, "secrets-due");
    await page.close();
  });

  it("adds a secret, reveals it, copies it, pins it; keyboard only", async () => {
    const page = await open("secrets=2");
    await page.keyboard.press("Control+n");
    await page.getByRole("textbox", { name: "Name" }).fill("STRIPE_KEY");
    await page.getByLabel("Value").fill("sk_test_browser");
    await page.getByLabel("Value").press("Enter");
    await page.getByRole("option", { name: /STRIPE_KEY/ }).waitFor();
    await page.keyboard.press("/");
    await page.keyboard.type("stripe");
    await page.getByRole("heading", { name: "STRIPE_KEY" }).waitFor();
    await expect(page.getByText("sk_test_browser").count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Reveal" }).click();
    await page.getByText("sk_test_browser").waitFor();
    await shot(page, "detail-revealed");
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied. The clipboard is cleared in 20 s.").waitFor();
    expect(await fake(page, (f) => f.copied)).toEqual(["STRIPE_KEY"]);
    await page.getByRole("button", { name: "☆ Pin" }).click();
    await page.getByRole("button", { name: "★ Pinned" }).waitFor();
    await page.close();
  });

  it("locked: names stay, values cannot be asked for, a wrong passphrase is refused", async () => {
    const page = await open("state=locked&secrets=3");
    await page.getByText("3 of 3").waitFor();
    await expect(page.getByRole("button", { name: "Reveal" }).isDisabled()).resolves.toBe(true);
    await page.getByLabel("Master passphrase").fill("wrong");
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByText("wrong passphrase").waitFor();
    await shot(page, "locked");
    await page.getByLabel("Master passphrase").fill(PASSPHRASE);
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByText("Unlocked", { exact: true }).waitFor();
    await page.close();
  });
});

describe("remotes and sync", () => {
  it("adds a remote without ever showing its token back", async () => {
    const page = await open("secrets=2");
    await page.keyboard.press("Alt+2");
    await page.getByRole("button", { name: "Add remote…" }).click();
    await page.getByLabel("Remote name").fill("prod");
    await page.getByLabel("Service").selectOption("runtools");
    await page.getByLabel("Scope").selectOption("org");
    await page.getByLabel("API URL").fill("https://api.runtools.example");
    await page.getByLabel("API token").fill("rt_live_browser_token");
    await page.getByRole("button", { name: "Add remote", exact: true }).click();
    await page.getByText("Added prod.").waitFor();
    expect(await page.content()).not.toContain("rt_live_browser_token");
    await page.getByRole("button", { name: "Test" }).click();
    await page.getByText("prod: reachable, token accepted.").waitFor();
    await shot(page, "remotes");
    await page.close();
  });

  it("syncs with progress, shows the conflict in the list and resolves it", async () => {
    const page = await open("secrets=3&remote=prod");
    await page.keyboard.press("Alt+3");
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.getByText("Listed 3. Did: 2 create. 1 needs a look:").waitFor();
    await page.getByRole("cell", { name: "changed here and on the remote since the last sync" }).waitFor();
    await shot(page, "sync-conflict");
    await page.keyboard.press("Alt+1");
    await page.getByLabel("Sync state").selectOption("conflict");
    await page.getByText("1 of 3").waitFor();
    await page.keyboard.press("Alt+3");
    await page.getByRole("button", { name: "Keep local" }).click();
    await page.getByText("kept the local side with prod").waitFor();
    await page.getByText("No conflicts.").waitFor();
    await page.close();
  });
});

describe("activity and settings", () => {
  it("shows the audit log", async () => {
    const page = await open("secrets=2");
    await fake(page, (f) =>
      f.audit.push({ at: "2026-11-23T12:00:00Z", action: "rotate", name: "DB_PASSWORD", detail: null }),
    );
    await page.keyboard.press("Alt+4");
    await page.getByRole("cell", { name: "rotate" }).waitFor();
    await shot(page, "activity");
    await page.close();
  });

  it("saves settings and applies the theme at once; a refused value says why", async () => {
    const page = await open("secrets=2");
    await page.keyboard.press("Alt+5");
    await page.getByLabel("Theme").selectOption("dark");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await shot(page, "settings-dark");
    await page.getByLabel("Quick reveal shortcut").fill("");
    await page.getByLabel("Clear the clipboard after (seconds)").fill("600");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect(await fake(page, (f) => [f.settings.clipboard_seconds, f.settings.quick_reveal_shortcut])).toEqual(
      [600, ""],
    );
    await page.close();
  });

  it("follows the system's dark preference when the theme is 'system'", async () => {
    const page = await open("secrets=2", "dark");
    await fake(page, (f) => (f.settings.theme = "system"));
    await page.reload();
    await page.getByText("2 of 2").waitFor();
    await shot(page, "secrets-system-dark");
    await page.close();
  });
});

describe("quick reveal", () => {
  it("finds by typing, copies with Enter and closes", async () => {
    const page = await open("window=quick&secrets=3");
    await page.getByLabel("Find a secret").fill("db pass");
    await page.getByRole("option", { name: /DB_PASSWORD/, selected: true }).waitFor();
    await shot(page, "quick-reveal");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => (window as unknown as { fake: FakeBackend }).fake.windowClosed);
    expect(await fake(page, (f) => f.copied)).toEqual(["DB_PASSWORD"]);
    await page.close();
  });

  it("locked, it asks for the passphrase first", async () => {
    const page = await open("window=quick&state=locked&secrets=3");
    await page.getByLabel("Master passphrase").waitFor();
    await page.getByLabel("Find a secret").fill("openai");
    await page.keyboard.press("Enter");
    expect(await fake(page, (f) => f.copied)).toEqual([]);
    await page.close();
  });
});
