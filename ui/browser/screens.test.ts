/// <reference types="node" />
// Every screen of the UI in headless Chromium (Debian's `chromium`, driven by
// playwright-core), the Rust side replaced by FakeBackend through Tauri's IPC
// mocks (see pages.ts). Screenshots go to ../target/screenshots/browser-*.png.
import { describe, expect, it } from "vitest";
import { PASSPHRASE, type FakeBackend } from "./fake-backend";
import { deliver, fake, intakeLink, open, shot, useBrowser } from "./pages";

useBrowser();

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
    await page.getByText("Your vault is empty").waitFor();
    await page.close();
  });

  it("shows the strength while typing, says a forgotten one is lost, and takes a weak one only when told", async () => {
    const page = await open("state=fresh");
    await page
      .getByText("This passphrase encrypts every secret in the vault, and nobody can recover it")
      .waitFor();
    await page.getByLabel("Master passphrase").fill("hunter2");
    await page.getByLabel("Repeat it").fill("hunter2");
    await page.getByText("Too weak to guard every key you keep here").waitFor();
    await page.getByText("Use at least 12 characters.").waitFor();
    const create = page.getByRole("button", { name: "Create vault" });
    expect(await create.isDisabled()).toBe(true);
    await shot(page, "create-weak");
    await page.getByLabel("Use this weak passphrase anyway").check();
    await create.click();
    await page.getByText("Your vault is empty").waitFor();
    await page.close();
  });
});

describe("keyboard", () => {
  it("copies with Ctrl+Shift+C and announces it; an inline confirmation takes the focus and gives it back", async () => {
    const page = await open("secrets=3");
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    await page.keyboard.press("Control+Shift+C");
    await page.getByRole("status").filter({ hasText: "Copied. The clipboard is cleared in 20 s." }).waitFor();
    expect(await fake(page, (f) => f.copied)).toEqual(["OPENAI_API_KEY"]);
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        return [element.textContent?.trim(), getComputedStyle(element).outlineStyle];
      });
    await page.getByRole("button", { name: "Delete…" }).focus();
    await page.keyboard.press("Enter");
    expect(await focused()).toEqual(["Keep", "solid"]);
    await page.keyboard.press("Enter");
    expect(await focused()).toEqual(["Delete…", "solid"]);
    expect(await fake(page, (f) => f.secrets.has("OPENAI_API_KEY"))).toBe(true);
    await page.close();
  });
});

describe("first run", () => {
  it("offers an empty vault three ways forward, each one click away, and goes once a secret is in", async () => {
    const page = await open("state=fresh");
    await page.getByLabel("Master passphrase").fill(PASSPHRASE);
    await page.getByLabel("Repeat it").fill(PASSPHRASE);
    await page.getByRole("button", { name: "Create vault" }).click();
    const empty = page.getByRole("region", { name: "Your vault is empty" });
    await empty.waitFor();
    await shot(page, "first-run");
    await empty.getByRole("button", { name: "Connect a remote" }).click();
    await page.getByRole("button", { name: "Remotes", pressed: true }).waitFor();
    await page.getByRole("button", { name: "Secrets" }).click();
    await empty.getByRole("button", { name: "Import…" }).click();
    await page.getByRole("heading", { name: "Import from another manager" }).waitFor();
    await page.getByRole("button", { name: "Back to secrets" }).click();
    await empty.getByRole("button", { name: "Add a secret" }).click();
    await page.getByRole("textbox", { name: "Name" }).fill("FIRST_KEY");
    await page.getByLabel("Value").fill("first-value");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByText("1 of 1").waitFor();
    expect(await empty.count()).toBe(0);
    await page.close();
  });
});

describe("secrets", () => {
  it("Ctrl+A then Ctrl+C over a revealed value goes through the clearing copy, whose notice goes when it clears", async () => {
    const page = await open("secrets=3");
    await fake(page, (f) => (f.settings.clipboard_seconds = 1));
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    await page.getByRole("button", { name: "Reveal" }).click();
    await page.getByText("value-of-OPENAI_API_KEY").waitFor();
    await page.locator("body").click({ position: { x: 600, y: 600 } });
    await page.keyboard.press("Control+a");
    await page.keyboard.press("Control+c");
    await page.getByText("Copied. The clipboard is cleared in 1 s.").waitFor();
    expect(await fake(page, (f) => f.copied)).toEqual(["OPENAI_API_KEY"]);
    await page.getByText("Copied. The clipboard is cleared in 1 s.").waitFor({ state: "detached" });
    await page.close();
  });

  it("an SSH key's detail offers no Reveal, Copy or Rotate, and says where its public key is", async () => {
    const page = await open("secrets=3");
    await fake(page, (f) => f.add("DEPLOY_KEY", "-----BEGIN OPENSSH PRIVATE KEY-----", { kind: "ssh_key" }));
    await page.locator('input[aria-label="Search secrets"]').fill("DEPLOY");
    await page.getByRole("option", { name: /DEPLOY_KEY/ }).click();
    await page.getByText("An SSH key: its private part is never shown or copied here.").waitFor();
    expect(await page.getByRole("button", { name: "Reveal" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Copy", exact: true }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Rotate…" }).isDisabled()).toBe(true);
    expect(await page.locator("body").innerText()).not.toContain("BEGIN OPENSSH");
    await page.close();
  });

  it("the list moves with Home, End, PageDown and PageUp; / selects the search text", async () => {
    const page = await open("secrets=100");
    await page.getByRole("option", { name: /DB_PASSWORD/ }).click();
    await page.keyboard.press("End");
    await page.getByRole("heading", { name: "SECRET_00099" }).waitFor();
    await page.keyboard.press("Home");
    await page.getByRole("heading", { name: "DB_PASSWORD" }).waitFor();
    await page.keyboard.press("PageDown");
    await expect(page.getByRole("heading", { name: "DB_PASSWORD" }).count()).resolves.toBe(0);
    await page.keyboard.press("PageUp");
    await page.getByRole("heading", { name: "DB_PASSWORD" }).waitFor();
    await page.getByLabel("Search secrets").fill("SECRET_0001");
    await page.getByRole("heading", { name: "SECRET_00010" }).click();
    await page.keyboard.press("/");
    await page.keyboard.type("DB");
    await expect(page.getByLabel("Search secrets").inputValue()).resolves.toBe("DB");
    await page.close();
  });

  it("Esc asks before it discards a half-filled Add form; an empty one just closes", async () => {
    const page = await open("secrets=3");
    await page.getByRole("button", { name: "Add secret" }).click();
    await page.keyboard.press("Escape");
    await page.getByRole("heading", { name: "Add a secret" }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Add secret" }).click();
    await page.getByRole("textbox", { name: "Name" }).fill("HALF_DONE");
    await page.keyboard.press("Escape");
    await page.getByText("Discard what you typed? Nothing was added.").waitFor();
    await page.getByRole("button", { name: "Keep editing" }).click();
    await expect(page.getByRole("textbox", { name: "Name" }).inputValue()).resolves.toBe("HALF_DONE");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Discard" }).click();
    await page.getByRole("heading", { name: "Add a secret" }).waitFor({ state: "detached" });
    await page.close();
  });

  it("overdue and due soon have different badges", async () => {
    const page = await open("secrets=3");
    await fake(page, (f) => (f.secrets.get("OPENAI_API_KEY")!.meta.rotate_by = "2026-11-25"));
    await page.getByLabel("Search secrets").fill("_");
    await page
      .getByRole("option", { name: /DB_PASSWORD/ })
      .getByText("overdue")
      .waitFor();
    await page
      .getByRole("option", { name: /OPENAI_API_KEY/ })
      .getByText("rotate soon")
      .waitFor();
    await page.close();
  });

  it("the detail's buttons stay put whatever the description's length", async () => {
    const page = await open("secrets=3");
    await fake(
      page,
      (f) => (f.secrets.get("OPENAI_API_KEY")!.meta.description = "A long description. ".repeat(30)),
    );
    await page.getByRole("option", { name: /DB_PASSWORD/ }).click();
    await page.getByRole("heading", { name: "DB_PASSWORD" }).waitFor();
    const revealAt = async () => (await page.getByRole("button", { name: "Reveal" }).boundingBox())!.y;
    const withNone = await revealAt();
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    await page.getByRole("heading", { name: "OPENAI_API_KEY" }).waitFor();
    expect(await revealAt()).toBe(withNone);
    // The whole description is there for who asks.
    await page.getByRole("button", { name: "The whole description" }).click();
    expect(await revealAt()).toBeGreaterThan(withNone);
    await page.close();
  });

  it("Rotate's Generate fills the field as a preview; only Save new version commits", async () => {
    const page = await open("secrets=3");
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    await page.getByRole("button", { name: "Rotate…" }).click();
    await page.getByRole("button", { name: "Generate" }).click();
    // Shown in the field, not saved: the provider-issued key is still version 1.
    await expect(page.getByLabel("New value").inputValue()).resolves.toBe("G3n".padEnd(32, "x"));
    await page.getByText("Generated: check it, then save.").waitFor();
    expect(await page.getByLabel("New value").getAttribute("type")).toBe("text");
    expect(await fake(page, (f) => f.secrets.get("OPENAI_API_KEY")!.meta.version)).toBe(1);
    await shot(page, "rotate-generate");
    await page.getByRole("button", { name: "Hide" }).click();
    expect(await page.getByLabel("New value").getAttribute("type")).toBe("password");
    await page.getByRole("button", { name: "Save new version" }).click();
    await page.getByText("Rotated: a new version is current.").waitFor();
    expect(await fake(page, (f) => f.secrets.get("OPENAI_API_KEY")!.meta.version)).toBe(2);
    await page.close();
  });

  it("Add has the generator and a Show toggle; the new secret is selected and shown, with a notice", async () => {
    const page = await open("secrets=3");
    await page.getByLabel("Search secrets").fill("DB_");
    await page.getByText("1 of 3").waitFor();
    await page.getByRole("button", { name: "Add secret" }).click();
    await page.getByRole("textbox", { name: "Name" }).fill("NEW_TOKEN");
    await page.getByLabel("Value").fill("typed-value-123");
    await page.getByRole("button", { name: "Show" }).click();
    expect(await page.getByLabel("Value").getAttribute("type")).toBe("text");
    await page.getByRole("button", { name: "Generate" }).click();
    await expect(page.getByLabel("Value").inputValue()).resolves.toBe("G3n".padEnd(32, "x"));
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByText("Added NEW_TOKEN.").waitFor();
    await page.getByRole("heading", { name: "NEW_TOKEN" }).waitFor();
    await page.getByText("4 of 4").waitFor();
    await page.close();
  });

  it("Edit changes the description, category and rotate-by in place, and a new name renames it", async () => {
    const page = await open("secrets=3");
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    await page.getByRole("button", { name: "Edit…" }).click();
    const form = page.getByRole("form", { name: "Edit OPENAI_API_KEY" });
    await form.getByLabel("Category").fill("llm");
    await form.getByLabel("Description").fill("The production key");
    await form.getByLabel("Rotate by").fill("2027-03-31");
    await form.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Saved.").waitFor();
    const meta = await fake(page, (f) => f.secrets.get("OPENAI_API_KEY")!.meta);
    expect([meta.category, meta.description, meta.rotate_by, meta.version]).toEqual([
      "llm",
      "The production key",
      "2027-03-31",
      1,
    ]);

    await page.getByRole("button", { name: "Edit…" }).click();
    await form.getByLabel("Name").fill("OPENAI_PROD_KEY");
    await page.getByText("OPENAI_API_KEY stays behind as a removed secret until purged").waitFor();
    await shot(page, "edit-rename");
    await form.getByRole("button", { name: "Rename and save" }).click();
    await page.getByText("Renamed OPENAI_API_KEY to OPENAI_PROD_KEY, with its history.").waitFor();
    await page.getByRole("heading", { name: "OPENAI_PROD_KEY" }).waitFor();
    await page
      .getByRole("option", { name: /OPENAI_PROD_KEY/ })
      .and(page.locator("[aria-selected='true']"))
      .waitFor();
    await page.close();
  });

  it("Settings change the passphrase after the current one, and export with a warning for values", async () => {
    const page = await open("secrets=3");
    await page.getByRole("button", { name: "Settings" }).click();
    const card = page.getByRole("form", { name: "Master passphrase" });
    await card.getByLabel("Current passphrase").fill("not the passphrase");
    await card.getByLabel("New passphrase").fill("four unrelated words here");
    await card.getByLabel("Repeat it").fill("four unrelated words here");
    await card.getByRole("button", { name: "Change passphrase" }).click();
    await page.getByRole("alert").getByText("wrong passphrase").waitFor();
    expect(await fake(page, (f) => f.passphrase)).toBe(PASSPHRASE);
    await card.getByLabel("Current passphrase").fill(PASSPHRASE);
    await card.getByText("Also re-encrypt every value to a new key").click();
    await card.getByRole("button", { name: "Change passphrase" }).click();
    await page.getByText("Passphrase changed; 4 versions and every remote token were re-encrypted").waitFor();
    expect(await fake(page, (f) => f.passphrase)).toBe("four unrelated words here");
    await expect(card.getByLabel("Current passphrase").inputValue()).resolves.toBe("");

    const exporting = page.getByRole("form", { name: "Export" });
    await exporting.getByLabel("Only names matching").fill("OPENAI");
    await exporting.getByRole("button", { name: "Export…" }).click();
    await page.getByText("Exported 1 secret(s), names and details only, no values").waitFor();
    await exporting.getByText("Include the values").click();
    await exporting.getByText("The file will hold these values in plain text").waitFor();
    await shot(page, "settings-passphrase-export");
    await exporting.getByRole("button", { name: "Export with values…" }).click();
    await page.getByText("Exported 1 secret(s), with their values").waitFor();
    expect(await fake(page, (f) => f.exports.map((e) => [e.reveal, e.names.join()]))).toEqual([
      [false, "OPENAI_API_KEY"],
      [true, "OPENAI_API_KEY"],
    ]);
    await page.close();
  });

  it("lists 10,000 secrets with only a window of rows in the page, and searches as you type", async () => {
    const page = await open("secrets=10000");
    await page.getByText("10000 of 10000").waitFor();
    const rows = await page.getByRole("option").count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(60);
    // Scrolled far down, a search starts again at the top, its first match selected.
    const list = page.getByRole("listbox", { name: "Secret names" });
    await list.evaluate((list) => (list.scrollTop = 200_000));
    await list.getByRole("option", { name: "SECRET_04545" }).waitFor();
    // The rows as the search leaves them, before any scroll event could come.
    const names = await list.evaluate(async (list) => {
      const field = document.querySelector<HTMLInputElement>('input[aria-label="Search secrets"]')!;
      field.value = "secret_0999";
      field.dispatchEvent(new Event("input", { bubbles: true }));
      for (let i = 0; i < 10; i++) await Promise.resolve();
      return [...list.querySelectorAll('[role="option"]')].map(
        (row) => row.textContent!.trim().split(/\s+/)[0],
      );
    });
    expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `SECRET_0999${i}`));
    await page.getByText("10 of 10000").waitFor();
    await expect(list.evaluate((list) => list.scrollTop)).resolves.toBe(0);
    await expect(list.getByRole("option", { selected: true }).innerText()).resolves.toContain("SECRET_09990");
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
    await page.getByRole("button", { name: "Copy", exact: true }).click();
    await page.getByText("Copied. The clipboard is cleared in 20 s.").waitFor();
    expect(await fake(page, (f) => f.copied)).toEqual(["STRIPE_KEY"]);
    await page.getByRole("button", { name: "Copy reference" }).click();
    await page.getByText("Copied keyhaven:STRIPE_KEY: use it in a .env file or template.").waitFor();
    expect(await fake(page, (f) => f.copiedReferences)).toEqual(["keyhaven:STRIPE_KEY"]);
    await page.getByRole("button", { name: "☆ Pin" }).click();
    await page.getByRole("button", { name: "★ Pinned" }).waitFor();
    // A pinned secret is listed first.
    const list = page.getByRole("listbox", { name: "Secret names" });
    await expect(list.getByRole("option").first().innerText()).resolves.toContain("STRIPE_KEY");
    // The pinned secret stays the one shown, where the pin moved it.
    await page.getByRole("heading", { name: "STRIPE_KEY" }).waitFor();
    await page.close();
  });

  it("locked: a lock screen with nothing of the vault, the passphrase focused; a wrong one is refused", async () => {
    const page = await open("state=locked&secrets=3");
    await page.getByRole("region", { name: "Keyhaven is locked" }).waitFor();
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
    expect(focused).toBe("Master passphrase");
    const shown = await page.locator("body").innerText();
    expect(shown).not.toMatch(/OPENAI_API_KEY|DB_PASSWORD|provider|Secrets/);
    await page.getByLabel("Master passphrase").fill("wrong");
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByText("wrong passphrase").waitFor();
    await shot(page, "lock-screen");
    await page.getByLabel("Master passphrase").fill(PASSPHRASE);
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByText("Unlocked", { exact: true }).waitFor();
    // Ctrl+L from the search field: the passphrase takes the focus, not the search.
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    await page.getByRole("heading", { name: "OPENAI_API_KEY" }).waitFor();
    await page.getByLabel("Search secrets").focus();
    await page.keyboard.press("Control+l");
    await page.getByRole("region", { name: "Keyhaven is locked" }).waitFor();
    await page.keyboard.type("typed after the lock");
    await expect(page.getByLabel("Master passphrase").inputValue()).resolves.toBe("typed after the lock");
    // Unlocked again, the secret shown before the lock is shown again (not the first one).
    await page.getByLabel("Master passphrase").fill(PASSPHRASE);
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByRole("heading", { name: "OPENAI_API_KEY" }).waitFor();
    await page.close();
  });

  it("Remember on this device with a keyring that cannot keep the key: unlocked, and a sentence says so", async () => {
    const page = await open("state=locked&secrets=3");
    await fake(page, (f) => (f.keyringBroken = true));
    await page.getByLabel("Master passphrase").fill(PASSPHRASE);
    await page.getByLabel("Remember on this device").check();
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByText("Unlocked", { exact: true }).waitFor();
    await page.getByText("this device's keyring could not keep the key").waitFor();
    await page.getByText("3 of 3").waitFor();
    await page.close();
  });

  it("with Show names while locked: names stay, values cannot be asked for; the passphrase has the focus", async () => {
    const page = await open("state=locked&secrets=3&names=1");
    await page.getByText("3 of 3").waitFor();
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
    expect(focused).toBe("Master passphrase");
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

describe("import", () => {
  it("asks for the export's password, shows the plan without values, renames and leaves out rows, imports", async () => {
    const page = await open("secrets=2&import=bitwarden");
    await page.getByRole("button", { name: "Import…" }).click();
    await page.getByRole("button", { name: "Choose a file…" }).click();
    await page.getByText("is encrypted. Its password:").waitFor();
    await page.getByLabel("Export password").fill("not it");
    await page.getByRole("button", { name: "Read" }).click();
    await page.getByText("That password does not open it").waitFor();
    await page.getByLabel("Export password").fill("export password");
    await page.getByRole("button", { name: "Read" }).click();
    const plan = page.getByRole("table", { name: "Import plan" });
    await plan.waitFor();
    await page.getByText("3 secret(s), 1 left out").waitFor();
    // Each row says what it will be; the button counts what will happen.
    await plan.getByRole("cell", { name: "skipped (exists)" }).waitFor();
    await page
      .getByRole("button", { name: "Import 2 secret(s) (1 skipped: already in the vault)" })
      .waitFor();
    await page.getByLabel("Names already in the vault get a new version").check();
    await plan.getByRole("cell", { name: "new version" }).waitFor();
    await page.getByRole("button", { name: "Import 3 secret(s)", exact: true }).waitFor();
    await page.getByLabel("Names already in the vault get a new version").uncheck();
    // The existing name is offered; a name typed twice is refused and nothing is written.
    await page.getByLabel("Name for GitHub › password").fill("OPENAI_API_KEY");
    await page.getByRole("button", { name: "Import 1 secret(s) (2 skipped: already in the vault)" }).click();
    await page.getByText("two entries would be named OPENAI_API_KEY").waitFor();
    expect(await fake(page, (f) => f.secrets.size)).toBe(2);
    await page.getByLabel("Name for GitHub › password").fill("GH_LOGIN");
    await page.getByLabel("Import GitHub › API key").uncheck();
    await shot(page, "import-plan");
    const shown = await page.locator("main").innerText();
    for (const value of ["gh-password-planted", "ghp_planted_api_key", "sk-planted-openai"]) {
      expect(shown).not.toContain(value);
    }
    await page.getByRole("button", { name: "Import 1 secret(s) (1 skipped: already in the vault)" }).click();
    await page
      .getByText(
        "Imported 1 new and 0 updated secret(s). Skipped 1 already in the vault: OPENAI_API_KEY. Left out 2.",
      )
      .waitFor();
    expect(await fake(page, (f) => f.secrets.get("GH_LOGIN")?.values)).toEqual(["gh-password-planted"]);
    expect(await fake(page, (f) => f.secrets.has("GITHUB_API_KEY"))).toBe(false);
    await page.getByRole("button", { name: "Back to secrets" }).click();
    await page.getByText("3 of 3").waitFor();
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
    await page.getByRole("button", { name: "Test and add" }).click();
    // The key is tested first, and what it can do is said.
    await page.getByText("Added prod: reachable, token accepted; writes not refused.").waitFor();
    expect(await page.content()).not.toContain("rt_live_browser_token");

    // Nothing syncs to a new remote until chosen; the chooser previews as rules are typed.
    const chooser = page.getByRole("form", { name: "Choose secrets for prod" });
    await chooser.getByText("Shared with your organisation").waitFor();
    await chooser.getByText("Chosen 0 of 2", { exact: true }).waitFor();
    await page.getByLabel("Include names or patterns").fill("openai_*, DB_*");
    await chooser.getByText("Chosen 2 of 2: OPENAI_API_KEY, DB_PASSWORD").waitFor();
    await page.getByLabel("Exclude names or patterns").fill("*_PASSWORD");
    await chooser.getByText("Chosen 1 of 2: OPENAI_API_KEY").waitFor();
    await shot(page, "remote-choose");
    await chooser.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved what syncs to prod.").waitFor();

    await page.getByRole("button", { name: "Test" }).click();
    await page
      .getByText(
        "prod: reachable, token accepted; writes not refused. Each operation: list not refused, read metadata not refused, write not refused.",
      )
      .waitFor();
    await shot(page, "remotes");

    // A secret's detail says where it goes, and takes it out or adds it.
    await page.keyboard.press("Alt+1");
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    const prod = page.getByRole("checkbox", { name: /prod/ });
    await page.getByText("(shared with your organisation)").waitFor();
    expect(await prod.isChecked()).toBe(true);
    await prod.uncheck();
    await page.getByText("OPENAI_API_KEY no longer syncs to prod.").waitFor();
    await page.close();
  });

  it("adds an OpenBao remote with its mount, folder and an AppRole login", async () => {
    const page = await open("secrets=2");
    await page.keyboard.press("Alt+2");
    await page.getByRole("button", { name: "Add remote…" }).click();
    await page.getByLabel("Remote name").fill("team");
    await page.getByLabel("Service").selectOption("openbao");
    await page.getByLabel("Server URL").fill("https://bao.example.com:8200");
    await expect(page.getByLabel("KV mount").inputValue()).resolves.toBe("secret");
    await page.getByLabel("Folder under it").fill("team/dev");
    await page.getByLabel("AppRole role id (optional)").fill("laptop-role");
    // With a role id, the key asked for is the AppRole secret id.
    await page.getByLabel("AppRole secret id").fill("secret-id-for-the-laptop");
    await shot(page, "remote-add-openbao");
    await page.getByRole("button", { name: "Test and add" }).click();
    await page.getByText(/^Added team: reachable, token accepted/).waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByText("openbao (secret/team/dev)").waitFor();
    expect(await fake(page, (f) => f.remotes.find((r) => r.name === "team")!.kv)).toEqual({
      mount: "secret",
      prefix: "team/dev",
      namespace: null,
      role_id: "laptop-role",
    });
    expect(await page.content()).not.toContain("secret-id-for-the-laptop");
    await page.close();
  });

  it("the chooser's checklist of a thousand secrets is searched and ticked, and * for an org asks first", async () => {
    const page = await open("secrets=1000");
    await page.keyboard.press("Alt+2");
    await page.getByRole("button", { name: "Add remote…" }).click();
    await page.getByLabel("Remote name").fill("prod");
    await page.getByLabel("Service").selectOption("runtools");
    await page.getByLabel("Scope").selectOption("org");
    await page.getByLabel("API token").fill("rt_live_browser_token");
    await page.getByRole("button", { name: "Test and add" }).click();
    const chooser = page.getByRole("form", { name: "Choose secrets for prod" });
    const list = chooser.getByRole("list", { name: "Secrets to choose" });
    await chooser.getByText("1000 secrets.").waitFor();
    await expect(list.getByRole("listitem").count()).resolves.toBe(1000);
    await page.getByLabel("Include names or patterns").fill("SECRET_*");
    await chooser.getByText("Chosen 998 of 1000").waitFor();
    // Searched, then ticked and unticked: the rules change by the exact name.
    await chooser.getByLabel("Search the secrets").fill("secret_00500");
    await chooser.getByText("1 of 1000 secrets match.").waitFor();
    await list.getByRole("checkbox", { name: "SECRET_00500" }).uncheck();
    await expect(page.getByLabel("Exclude names or patterns").inputValue()).resolves.toBe("SECRET_00500");
    await chooser.getByText("Chosen 997 of 1000").waitFor();
    await chooser.getByLabel("Search the secrets").fill("");
    await chooser.getByLabel("Only the category").selectOption("database");
    await list.getByRole("checkbox", { name: "DB_PASSWORD" }).check();
    await expect(page.getByLabel("Include names or patterns").inputValue()).resolves.toBe(
      "SECRET_*, DB_PASSWORD",
    );
    await chooser.getByText("Chosen 998 of 1000").waitFor();
    await chooser.getByLabel("Only the category").selectOption("");
    await shot(page, "remote-choose-1000");
    await page.getByLabel("Include names or patterns").fill("*");
    await chooser.getByText("Chosen 999 of 1000").waitFor();
    await chooser.getByRole("button", { name: "Save" }).click();
    await chooser.getByText("shares every secret in this vault (1000").waitFor();
    expect(await fake(page, (f) => f.selections.has("prod"))).toBe(false);
    await chooser.getByRole("button", { name: "Share all with the organisation" }).click();
    await page.getByText("Saved what syncs to prod.").waitFor();
    expect(await fake(page, (f) => f.selections.get("prod")!.exclude)).toEqual(["SECRET_00500"]);
    await page.close();
  });

  it("a key that fails its test is said before it is stored; Save anyway stores it", async () => {
    const page = await open("secrets=2");
    await page.keyboard.press("Alt+2");
    await page.getByRole("button", { name: "Add remote…" }).click();
    await page.getByLabel("Remote name").fill("rl");
    await page.getByLabel("API token").fill("bad_token_typed_wrong");
    await page.getByRole("button", { name: "Test and add" }).click();
    await page.getByText("The key did not pass its test: rl refused this API key").waitFor();
    await shot(page, "remote-add-key-tested");
    expect(await fake(page, (f) => f.remotes.length)).toBe(0);
    await page.getByRole("button", { name: "Save anyway" }).click();
    await page.getByText("Added rl: not tested (saved anyway).").waitFor();
    expect(await fake(page, (f) => f.remotes.length)).toBe(1);
    await page.close();
  });

  it("a refused key fails its remote only, and Replace key mends it", async () => {
    const page = await open("secrets=2&remote=prod");
    await fake(page, (f) => {
      f.remotes[0].last_sync = "2026-11-23T12:00:00Z";
      f.remotes.push({ ...f.remotes[0], name: "staging" });
      f.refused.add("prod");
    });
    await page.keyboard.press("Alt+3");
    await page.getByRole("button", { name: "Sync now" }).click();
    // One sentence, no HTTP or CLI syntax, and a Replace key button beside it.
    await page
      .getByText("Did not sync: prod refused its API key: it was revoked, has expired or was mistyped.")
      .waitFor();
    expect(await page.getByLabel("Result for prod").innerText()).not.toMatch(/HTTP|keyhaven remote/);
    // The other remote still synced, and says so.
    await page
      .getByLabel("Result for staging")
      .getByText("1 new secret(s) sent; 1 conflict(s) to settle.")
      .waitFor();
    await shot(page, "sync-key-refused");
    await page.getByLabel("Result for prod").getByRole("button", { name: "Replace key…" }).click();
    // A key that fails its test is said, and is kept only with Save anyway.
    await page.getByLabel("New API token").fill("bad_replacement_token");
    await page.getByRole("button", { name: "Test and replace" }).click();
    await page.getByText("The key did not pass its test: prod refused this API key").waitFor();
    await page.getByRole("button", { name: "Save anyway" }).waitFor();
    await page.getByLabel("New API token").fill("rt_live_replacement_token");
    await page.getByLabel("Key expires (optional)").fill("2027-03-31");
    await page.getByRole("button", { name: "Test and replace" }).click();
    await page.getByText("prod: new key stored (reachable, token accepted").waitFor();
    await page.getByText("0 days, expires 2027-03-31").waitFor();
    expect(await page.content()).not.toContain("rt_live_replacement_token");
    await page.close();
  });

  it("Remotes says when each synced remote is next looked at, and the setting for it", async () => {
    const page = await open("secrets=1&remote=prod");
    await fake(page, (f) => (f.remotes[0].last_sync = "2026-11-23T12:00:00Z"));
    await page.keyboard.press("Alt+2");
    await page.getByText("next look in 5 min").waitFor();
    // The status bar says how the remotes stand, on every view.
    await page.getByRole("status", { name: "Sync status" }).getByText("Synced just now").waitFor();
    await page.keyboard.press("Alt+7");
    await page.getByLabel("Look for remote changes every (minutes; 0 for never: only Sync looks)").fill("0");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect(await fake(page, (f) => f.settings.sync_minutes)).toBe(0);
    await page.close();
  });

  it("settles every conflict with one choice, still listing each", async () => {
    const page = await open("secrets=3&remote=prod");
    await fake(page, (f) => {
      f.conflicts = [...f.secrets.keys()].map((name) => ({
        remote: "prod",
        name,
        reason: "exists here and on the remote, never synced",
        detected: "2026-11-23T12:00:00Z",
        local_version: 1,
        local_changed: "2026-11-23T12:00:00Z",
        remote_reveals: false,
      }));
    });
    await page.keyboard.press("Alt+3");
    await page.getByRole("cell", { name: "DB_PASSWORD" }).waitFor();
    await page.getByRole("button", { name: "Keep local for all 3" }).click();
    // It asks before it overwrites three remote values.
    await page.getByText("Overwrite each of the 3 on its remote with this device's value?").waitFor();
    await page.getByRole("button", { name: "Overwrite all" }).click();
    await page.getByText("Kept the local side for 3 conflicts.").waitFor();
    await page.getByText("No conflicts.").waitFor();
    await page.close();
  });

  it("a pull asks which names new to this vault to take, and takes only those", async () => {
    const page = await open("secrets=1&remote=prod");
    await fake(page, (f) => {
      f.remotes[0].last_sync = "2026-11-23T12:00:00Z";
      f.newOnRemote = ["BASH_ENV", "TEAM_TOKEN"];
    });
    await page.keyboard.press("Alt+3");
    await page.getByLabel("Fetch values this device lacks").check();
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.getByText("prod has 2 name(s) this vault never had").waitFor();
    await page.getByLabel("TEAM_TOKEN").check();
    await shot(page, "sync-new-names");
    await page.getByRole("button", { name: "Go ahead" }).click();
    await page.waitForFunction(() => {
      const backend = (window as unknown as { fake: FakeBackend }).fake;
      return backend.secrets.has("TEAM_TOKEN") && !backend.secrets.has("BASH_ENV");
    });
    await page.close();
  });

  it("a secret revoked on the remote says so in the list, the filter and the detail, with the advice", async () => {
    const page = await open("secrets=3&remote=prod");
    await fake(page, (f) => f.marks.push({ remote: "prod", name: "OPENAI_API_KEY", state: "revoked" }));
    await page.getByLabel("Search secrets").fill("openai");
    await page.getByRole("option", { name: /OPENAI_API_KEY.*revoked there/ }).click();
    await page
      .getByText("A revoked secret no longer works on prod: rotate it here and sync to give it a new value.")
      .waitFor();
    await page.getByLabel("Search secrets").fill("");
    await page.getByLabel("Sync state").selectOption("revoked");
    await page.getByText("1 of 3").waitFor();
    await shot(page, "list-revoked");
    await page.close();
  });

  it("a prune says which secrets it removes here and waits for a yes", async () => {
    const page = await open("secrets=3&remote=prod");
    await fake(page, (f) => {
      f.remotes[0].last_sync = "2026-11-23T12:00:00Z";
      f.goneOnRemote = ["DB_PASSWORD"];
    });
    await page.keyboard.press("Alt+3");
    await page.getByLabel("Propagate deletions both ways").check();
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.getByText("Removes 1 secret(s) here, gone from prod: DB_PASSWORD.").waitFor();
    const kept = await page.evaluate(() =>
      (window as unknown as { fake: FakeBackend }).fake.secrets.has("DB_PASSWORD"),
    );
    expect(kept).toBe(true);
    await page.getByRole("button", { name: "Go ahead" }).click();
    await page.waitForFunction(
      () => !(window as unknown as { fake: FakeBackend }).fake.secrets.has("DB_PASSWORD"),
    );
    await page.close();
  });

  it("syncs with progress, shows the conflict in the list and resolves it", async () => {
    const page = await open("secrets=3&remote=prod");
    await page.keyboard.press("Alt+3");
    await page.getByLabel("Last synced").getByText("Last synced: prod never").waitFor();
    await page.getByRole("button", { name: "Sync now" }).click();
    // A first sync says what it sends, and waits for a yes.
    await page
      .getByText(
        "First sync with prod: it sends 3 secret(s) there: OPENAI_API_KEY, DB_PASSWORD, SECRET_00002.",
      )
      .waitFor();
    await shot(page, "sync-first");
    await page.getByRole("button", { name: "Go ahead" }).click();
    await page.getByText("2 new secret(s) sent; 1 conflict(s) to settle").waitFor();
    // The line that lasts after the results go.
    await page
      .getByLabel("Last synced")
      .getByText(/^Last synced: prod (?!never).*2026/)
      .waitFor();
    await page.getByRole("cell", { name: "changed here and on the remote since the last sync" }).waitFor();
    await shot(page, "sync-conflict");
    await page.keyboard.press("Alt+1");
    await page.getByLabel("Sync state").selectOption("conflict");
    await page.getByText("1 of 3").waitFor();
    await page.keyboard.press("Alt+3");
    // Runloop cannot send values back: keeping its side asks, then sets this copy aside.
    await page.getByRole("cell", { name: "v1, changed" }).waitFor();
    await page.getByRole("button", { name: "Keep remote, mark this copy out of date" }).click();
    await page.getByText("prod cannot send values back. Mark this device's copy of OPENAI_API_KEY").waitFor();
    await shot(page, "sync-conflict-unreadable");
    await page.getByRole("button", { name: "Mark out of date" }).click();
    await page.getByText("OPENAI_API_KEY: this device's copy is marked out of date").waitFor();
    await page.getByText("No conflicts.").waitFor();
    // Reveal and Copy refuse the copy set aside, and say why.
    await page.keyboard.press("Alt+1");
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
    await page.getByRole("button", { name: "Reveal" }).click();
    await page
      .getByText("this device's copy of OPENAI_API_KEY is out of date: prod kept its own value")
      .waitFor();
    await page.close();
  });

  it("Keep local asks before it overwrites the remote", async () => {
    const page = await open("secrets=3&remote=prod");
    await fake(page, (f) => (f.remotes[0].last_sync = "2026-11-23T12:00:00Z"));
    await page.keyboard.press("Alt+3");
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.getByRole("button", { name: "Keep local" }).click();
    await page.getByText("Overwrite OPENAI_API_KEY on prod with this device's v1").waitFor();
    await page.getByRole("button", { name: "Overwrite on prod" }).click();
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
    await page.keyboard.press("Alt+5");
    await page.getByRole("cell", { name: "rotate" }).waitFor();
    await shot(page, "activity");
    await page.close();
  });

  it("saves settings and applies the theme at once; a refused value says why", async () => {
    const page = await open("secrets=2");
    await page.keyboard.press("Alt+7");
    // The theme applies when picked, before Save; the shortcut reads as the keyboard has it.
    await page.getByText("Reads as Ctrl+Shift+K.").waitFor();
    await page.getByLabel("Theme").selectOption("dark");
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    expect(await fake(page, (f) => f.settings.theme)).toBe("dark");
    await shot(page, "settings-dark");
    await page.getByLabel("Quick reveal shortcut").fill("");
    await page.getByLabel("Clear the clipboard after (seconds)").fill("600");
    await page.getByLabel("Remind me once a day of keys due for rotation").uncheck();
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect(
      await fake(page, (f) => [
        f.settings.clipboard_seconds,
        f.settings.quick_reveal_shortcut,
        f.settings.rotation_reminders,
      ]),
    ).toEqual([600, "", false]);
    await page.close();
  });

  it("asks in the window when a program wants an SSH key, and Settings serve the agent and revoke a grant", async () => {
    const page = await open("secrets=2");
    await fake(page, (f) =>
      f.ask({
        id: 7,
        program: "ssh",
        path: "/usr/bin/ssh",
        pid: 4242,
        subject: "use the SSH key DEPLOY_KEY",
      }),
    );
    const dialog = page.getByRole("alertdialog", { name: "Allow ssh to use the SSH key DEPLOY_KEY?" });
    await dialog.waitFor();
    expect(await dialog.getByText("/usr/bin/ssh").isVisible()).toBe(true);
    // Deny has the focus: Enter by accident allows nothing.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Deny");
    await shot(page, "ssh-approval");
    await dialog.getByRole("button", { name: "Always for this program" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await fake(page, (f) => f.answers)).toEqual([{ id: 7, answer: "always" }]);

    await fake(page, (f) =>
      f.grants.push({
        id: 1,
        program: "/usr/bin/ssh",
        sha256: "ab".repeat(32),
        subject: "ssh-key:DEPLOY_KEY",
        granted: "2026-12-07T05:00:00Z",
      }),
    );
    await page.keyboard.press("Alt+7");
    await page.getByText("/usr/bin/ssh may use the SSH key DEPLOY_KEY").waitFor();
    await page.getByLabel("Serve SSH keys (SSH agent)").check();
    await page.getByText("export SSH_AUTH_SOCK=/run/user/1000/keyhaven/ssh-agent.sock").waitFor();
    expect(await fake(page, (f) => f.settings.ssh_agent)).toBe(true);
    await page.getByRole("button", { name: "Revoke /usr/bin/ssh for ssh-key:DEPLOY_KEY" }).click();
    await page.getByText("is asked again before it uses the SSH key DEPLOY_KEY").waitFor();
    expect(await fake(page, (f) => f.grants.length)).toBe(0);
    await page.close();
  });

  it("lists what programs stored, finds one, marks it always ask and deletes another; Settings say who owns the keyring", async () => {
    const page = await open("secrets=2");
    await fake(page, (f) => {
      const item = (id: number, label: string, attributes: Record<string, string>) => ({
        id,
        name: label.toUpperCase().replace(/[^A-Z0-9]+/g, "_"),
        collection: "login",
        label,
        attributes,
        content_type: "text/plain",
        always_ask: false,
        created: "2026-12-07T08:00:00Z",
        modified: `2026-12-07T08:0${id}:00Z`,
      });
      f.items = [
        item(1, "GitHub CLI", { service: "gh", username: "alice" }),
        item(2, "Git: https://git.example", {
          protocol: "https",
          server: "git.example",
          "xdg:schema": "org.git.Password",
        }),
      ];
      f.keyringTaken = true;
    });
    await page.keyboard.press("Alt+6");
    await page.getByRole("heading", { name: "Stored by programs" }).waitFor();
    await page.getByText("protocol=https, server=git.example").waitFor();
    await shot(page, "programs");
    await page.getByLabel("Search items").fill("gh alice");
    await page.getByRole("cell", { name: "git.example" }).waitFor({ state: "detached" });
    await page.getByLabel("Always ask before a program reads GitHub CLI").check();
    await page.getByText("Every read of “GitHub CLI” asks you.").waitFor();
    expect(await fake(page, (f) => f.items.find((item) => item.id === 1)?.always_ask)).toBe(true);
    await page.getByLabel("Search items").fill("");
    await page.getByRole("button", { name: "Delete Git: https://git.example" }).click();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("Deleted “Git: https://git.example”").waitFor();
    expect(await fake(page, (f) => f.items.map((item) => item.id))).toEqual([1]);

    // gnome-keyring owns the name: the switch says so and stays off.
    await page.keyboard.press("Alt+7");
    const serve = page.getByLabel("Serve passwords to programs (Secret Service)");
    await serve.click();
    await page.getByText("owned by gnome-keyring-daemon").first().waitFor();
    expect(await fake(page, (f) => f.settings.secret_service)).toBe(false);
    await shot(page, "keyring-taken");
    expect(await serve.isChecked()).toBe(false);
    await fake(page, (f) => (f.keyringTaken = false));
    await serve.check();
    await page.getByText("Keyhaven is your keyring").waitFor();
    expect(await fake(page, (f) => f.settings.secret_service)).toBe(true);
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

describe("links, missing secrets and intake", () => {
  it("a link brings up the form: one item from the vault, one typed, a 409 shown, then submitted", async () => {
    const page = await open("secrets=2&intake=1");
    await deliver(page, intakeLink);
    await page.getByRole("heading", { name: "Connect your providers" }).waitFor();
    await page.getByText("3 still to configure").waitFor();
    await page.getByRole("button", { name: "Use the vault's OPENAI_API_KEY" }).click();
    await page.getByLabel("Value for AGENT_TOKEN").fill("typed-agent-token-123");
    await shot(page, "intake");
    await fake(page, (f) => (f.staleOnce = true));
    await page.getByRole("button", { name: "Submit 2 value(s)" }).click();
    await page.getByText("The form changed since it was shown").waitFor();
    // Nothing was lost: the choices stand, so the same two go again.
    await page.getByRole("button", { name: "Submit 2 value(s)" }).click();
    await page.getByText("Submitted 2 value(s) to rt, and kept them in this vault.").waitFor();
    await page.getByText("1 still to configure").waitFor();
    expect(await fake(page, (f) => [...f.remoteValues.entries()])).toEqual([
      ["OPENAI_API_KEY", "value-of-OPENAI_API_KEY"],
      ["AGENT_TOKEN", "typed-agent-token-123"],
    ]);
    expect(await fake(page, (f) => f.secrets.has("AGENT_TOKEN"))).toBe(true);
    // The vault's value never came into the window; the typed one is gone from it.
    const html = await page.content();
    expect(html).not.toContain("value-of-OPENAI_API_KEY");
    expect(await page.getByLabel("Value for STRIPE_KEY").inputValue()).toBe("");
    await page.getByRole("button", { name: "Return to app.runtype.example" }).click();
    await page.getByText("not on rt's own site, so not opened").waitFor();
    await page.getByRole("button", { name: "Documentation on platform.openai.example ↗" }).click();
    expect(await fake(page, (f) => f.opened)).toEqual([
      "https://app.runtype.example/done",
      "https://platform.openai.example/keys",
    ]);
    await shot(page, "intake-submitted");
    await page.close();
  });

  it("says which submitted values the form refused and were not kept", async () => {
    const page = await open("secrets=2&intake=1");
    await deliver(page, intakeLink);
    await page.getByRole("heading", { name: "Connect your providers" }).waitFor();
    await page.getByLabel("Value for AGENT_TOKEN").fill("typo");
    await fake(page, (f) => (f.invalidOnSubmit = ["AGENT_TOKEN"]));
    await page.getByRole("button", { name: "Submit 1 value(s)" }).click();
    await page
      .getByText(
        "Not kept here, as rt did not take them (the vault's values are unchanged): AGENT_TOKEN (invalid).",
      )
      .waitFor();
    expect(await fake(page, (f) => f.secrets.has("AGENT_TOKEN"))).toBe(false);
    await page.close();
  });

  it("a locked vault asks to unlock first, then continues to the form", async () => {
    const page = await open("state=locked&secrets=2&intake=1");
    await deliver(page, intakeLink);
    await page.getByText("Unlock the vault to continue to this form.").waitFor();
    await page.getByLabel("Master passphrase").fill(PASSPHRASE);
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByRole("heading", { name: "Connect your providers" }).waitFor();
    await page.close();
  });

  it("a refused link says why; open selects the secret; check lists what the remote lacks", async () => {
    const page = await open("secrets=3&intake=1");
    await deliver(page, 'no remote named "evil" is configured here; a link never adds one');
    await page.getByText('This link was refused: no remote named "evil"').waitFor();
    await page.getByRole("button", { name: "Dismiss" }).click();
    await deliver(page, { action: "open", name: "DB_PASSWORD", expires: null });
    await page.getByRole("option", { name: "DB_PASSWORD", selected: true }).waitFor();
    await fake(page, (f) => f.remoteValues.set("OPENAI_API_KEY", "sk-remote-0123"));
    await deliver(page, {
      action: "check",
      remote: "rt",
      keys: ["OPENAI_API_KEY", "AGENT_TOKEN"],
      expires: null,
    });
    await page.getByRole("row", { name: "AGENT_TOKEN missing" }).waitFor();
    await page.getByRole("row", { name: "OPENAI_API_KEY found" }).waitFor();
    await shot(page, "missing");
    await page.getByRole("button", { name: "Fill 1 here…" }).click();
    await page.getByRole("heading", { name: "Connect your providers" }).waitFor();
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

  it("locked, it asks for the passphrase first and shows no names", async () => {
    const page = await open("window=quick&state=locked&secrets=3");
    await page.getByLabel("Master passphrase").waitFor();
    await expect(page.getByLabel("Find a secret").count()).resolves.toBe(0);
    expect(await page.locator("body").innerText()).not.toContain("OPENAI_API_KEY");
    await page.keyboard.press("Enter");
    expect(await fake(page, (f) => f.copied)).toEqual([]);
    await page.close();
  });

  it("locked with Show names while locked, it lists but copies nothing", async () => {
    const page = await open("window=quick&state=locked&secrets=3&names=1");
    await page.getByLabel("Master passphrase").waitFor();
    await page.getByLabel("Find a secret").fill("openai");
    await page.getByRole("option", { name: /OPENAI_API_KEY/ }).waitFor();
    await page.keyboard.press("Enter");
    expect(await fake(page, (f) => f.copied)).toEqual([]);
    await page.close();
  });
});
