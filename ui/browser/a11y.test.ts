/// <reference types="node" />
// Every screen, in both themes, checked by axe-core against WCAG 2.0 and 2.1
// A and AA (contrast, names, roles, landmarks...). Each result is printed;
// any violation fails the test, naming the rule and the elements.
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { deliver, fake, intakeLink, open, useBrowser } from "./pages";

useBrowser();

/** A screen: the state to start in, and how to get there from it. */
const screens: [name: string, query: string, reach: (page: Page) => Promise<unknown>][] = [
  ["create", "state=fresh", (page) => page.getByLabel("Master passphrase").waitFor()],
  [
    "create, weak passphrase",
    "state=fresh",
    async (page) => {
      await page.getByLabel("Master passphrase").fill("hunter2");
      await page.getByText("Too weak to guard every key you keep here").waitFor();
    },
  ],
  ["first run", "secrets=0", (page) => page.getByText("Your vault is empty").waitFor()],
  ["unlock", "state=locked&secrets=3", (page) => page.getByRole("button", { name: "Unlock" }).waitFor()],
  [
    "unlock, names shown while locked",
    "state=locked&secrets=3&names=1",
    (page) => page.getByRole("button", { name: "Unlock" }).waitFor(),
  ],
  [
    "secret detail, revealed",
    "secrets=3",
    async (page) => {
      await page.getByRole("option", { name: /OPENAI_API_KEY/ }).click();
      await page.getByRole("button", { name: "Reveal" }).click();
      await page.getByText("value-of-OPENAI_API_KEY").waitFor();
    },
  ],
  [
    "add a secret",
    "secrets=3",
    async (page) => {
      await page.getByRole("button", { name: "Add secret" }).click();
      await page.getByRole("heading", { name: "Add a secret" }).waitFor();
    },
  ],
  [
    "import, its plan",
    "secrets=3&import=1",
    async (page) => {
      await page.getByRole("button", { name: "Import…" }).click();
      await page.getByRole("button", { name: "Choose a file…" }).click();
      await page.getByLabel("Export password").fill("export password");
      await page.getByRole("button", { name: "Read" }).click();
      await page.getByText("GitHub › API key").waitFor();
    },
  ],
  [
    "secret due for rotation, its delete confirmation",
    "secrets=3",
    async (page) => {
      await page.getByRole("option", { name: /DB_PASSWORD/ }).click();
      await page.getByRole("button", { name: "Delete…" }).click();
      await page.getByRole("button", { name: "Keep" }).waitFor();
    },
  ],
  [
    "secret known from a remote only",
    "secrets=1&remote=prod",
    async (page) => {
      await fake(page, (f) => f.marks.push({ remote: "prod", name: "TEAM_TOKEN", state: "remote_only" }));
      // Searching asks for a new page, which now carries the mark.
      await page.getByLabel("Search secrets").fill("team");
      await page.getByRole("option", { name: /TEAM_TOKEN/ }).click();
      await page.getByText("Known from a remote only").waitFor();
    },
  ],
  ["remotes", "secrets=3&remote=prod", (page) => view(page, "Remotes", "Remotes")],
  [
    "remotes, adding one",
    "secrets=3&remote=prod",
    async (page) => {
      await view(page, "Remotes", "Remotes");
      await page.getByRole("button", { name: "Add remote…" }).click();
      await page.getByRole("form", { name: "Add a remote" }).waitFor();
    },
  ],
  [
    "remotes, choosing what syncs",
    "secrets=3&remote=prod",
    async (page) => {
      await view(page, "Remotes", "Remotes");
      await page.getByRole("button", { name: "Choose secrets…" }).click();
      await page.getByRole("form", { name: "Choose secrets for prod" }).waitFor();
    },
  ],
  [
    "remotes, replacing a key",
    "secrets=3&remote=prod",
    async (page) => {
      await view(page, "Remotes", "Remotes");
      await page.getByRole("button", { name: "Replace key…" }).click();
      await page.getByLabel("New API token").waitFor();
    },
  ],
  ["sync", "secrets=3&remote=prod", (page) => view(page, "Sync", "Sync")],
  [
    "sync, a conflict in the results",
    "secrets=3&remote=prod",
    async (page) => {
      await view(page, "Sync", "Sync");
      await page.getByRole("button", { name: "Sync now" }).click();
      await page.getByRole("button", { name: "Go ahead" }).click();
      await page.getByRole("button", { name: "Keep local" }).waitFor();
    },
  ],
  [
    "sync, names new to this vault",
    "secrets=1&remote=prod",
    async (page) => {
      await fake(page, (f) => {
        f.remotes[0].last_sync = "2026-11-23T12:00:00Z";
        f.newOnRemote = ["BASH_ENV", "TEAM_TOKEN"];
      });
      await view(page, "Sync", "Sync");
      await page.getByLabel("Fetch values this device lacks").check();
      await page.getByRole("button", { name: "Sync now" }).click();
      await page.getByLabel("TEAM_TOKEN").waitFor();
    },
  ],
  ["missing", "secrets=2&intake=1", (page) => view(page, "Missing", "Missing secrets")],
  [
    "intake form",
    "secrets=2&intake=1",
    async (page) => {
      await deliver(page, intakeLink);
      await page.getByText("Connect your providers").waitFor();
    },
  ],
  [
    "a refused link",
    "secrets=3&intake=1",
    async (page) => {
      await deliver(page, 'no remote named "evil" is configured here; a link never adds one');
      await page.getByText("This link was refused").waitFor();
    },
  ],
  ["activity", "secrets=3", (page) => view(page, "Activity", "Activity")],
  [
    "programs",
    "secrets=3",
    async (page) => {
      await fake(page, (f) =>
        f.items.push({
          id: 1,
          name: "GITHUB_CLI",
          collection: "login",
          label: "GitHub CLI",
          attributes: { service: "gh", username: "alice" },
          content_type: "text/plain",
          always_ask: false,
          created: "2026-12-07T08:00:00Z",
          modified: "2026-12-07T08:00:00Z",
        }),
      );
      await view(page, "Programs", "Stored by programs");
    },
  ],
  ["settings", "secrets=3", (page) => view(page, "Settings", "Settings")],
  ["quick reveal", "window=quick&secrets=3", (page) => page.getByRole("option").first().waitFor()],
];

async function view(page: Page, tab: string, region: string) {
  await page.getByRole("button", { name: tab, exact: true }).click();
  await page.getByRole("region", { name: region }).waitFor();
}

describe("accessibility (axe-core, WCAG 2.1 AA)", () => {
  for (const theme of ["light", "dark"] as const) {
    for (const [name, query, reach] of screens) {
      it(`${name}, ${theme} theme`, async () => {
        const page = await open(`${query}&theme=${theme}`, theme);
        await reach(page);
        const result = await new AxeBuilder({ page })
          .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
          .analyze();
        const violations = result.violations.map(
          (v) =>
            `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((node) => node.target.join(" ")).join(", ")}`,
        );
        console.log(
          `axe: ${name}, ${theme}: ${violations.length} violations, ${result.passes.length} rules passed`,
        );
        expect(violations).toEqual([]);
        await page.close();
      });
    }
  }
});
