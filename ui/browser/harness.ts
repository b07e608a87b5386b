// Boots the real UI (src/main.ts) in a plain browser with Tauri's IPC mocked
// by @tauri-apps/api/mocks and answered by FakeBackend. The page's query
// picks the window (`?window=quick`) and the starting state (`?state=fresh|
// locked|unlocked`, `?secrets=N`, `?remote=NAME`, `?intake=1` for a Runtype
// remote with a form, `?import=1` for an export to choose, `?theme=dark`,
// `?names=1` for "Show names while locked");
// tests reach the backend as `window.fake`.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { FakeBackend } from "./fake-backend";

const query = new URLSearchParams(location.search);
const fake = new FakeBackend();
const state = query.get("state") ?? "unlocked";
fake.exists = state !== "fresh";
// Remotes are added unlocked (their rows are tagged with the key), as a real
// vault got them; the starting state applies once they are in.
fake.unlocked = true;
const count = Number(query.get("secrets") ?? "0");
for (let i = 0; i < count; i++) {
  const name = i === 0 ? "OPENAI_API_KEY" : i === 1 ? "DB_PASSWORD" : `SECRET_${String(i).padStart(5, "0")}`;
  const category = i === 1 ? "database" : "provider";
  fake.add(name, `value-of-${name}`, { category, rotate_by: i === 1 ? "2026-01-01" : null });
}
if (query.get("remote")) {
  await fake.handle("add_remote", {
    remote: {
      name: query.get("remote"),
      kind: "runloop",
      url: "https://api.runloop.ai",
      scope: null,
      expires: "",
    },
    token: "rl_seeded_token",
  });
}
if (query.get("intake")) {
  await fake.handle("add_remote", {
    remote: { name: "rt", kind: "runtype", url: "https://api.runtype.example", scope: null, expires: "" },
    token: "rt_seeded_token",
  });
  const item = { secretId: null, description: null, placeholder: null, helpText: null, docsUrl: null };
  fake.formItems = [
    {
      ...item,
      itemId: "openai",
      secretKey: "OPENAI_API_KEY",
      status: "",
      displayName: "OpenAI",
      required: true,
      helpText: "Starts with sk-",
      docsUrl: "https://platform.openai.example/keys",
      version: null,
    },
    {
      ...item,
      itemId: "agent",
      secretKey: "AGENT_TOKEN",
      status: "",
      displayName: "Agent token",
      required: true,
      placeholder: "at least 8 characters",
      version: null,
    },
    {
      ...item,
      itemId: "stripe",
      secretKey: "STRIPE_KEY",
      status: "",
      displayName: null,
      required: false,
      version: null,
    },
  ];
}
if (query.get("import")) {
  // A password-protected Bitwarden export, as Rust would plan it: three
  // hidden fields become secrets, a trashed item is left out.
  const row = (source: string, name: string, category: string) => ({
    source,
    name,
    kind: "text" as const,
    category,
    description: `${source.split(" › ")[0]} (imported from Bitwarden)`,
  });
  fake.importFile = {
    password: "export password",
    plan: {
      kind: "bitwarden",
      path: "/home/dev/bitwarden_encrypted_export.json",
      rows: [
        row("GitHub › password", "GITHUB_PASSWORD", "Work"),
        row("GitHub › API key", "GITHUB_API_KEY", "Work"),
        row("OPENAI_API_KEY", "OPENAI_API_KEY", "AI"),
      ],
      skipped: [{ source: "Old router", why: "in the trash" }],
      warnings: [],
    },
    values: ["gh-password-planted", "ghp_planted_api_key", "sk-planted-openai"],
  };
}
fake.unlocked = state === "unlocked";
const theme = query.get("theme");
if (theme === "light" || theme === "dark" || theme === "system") fake.settings.theme = theme;
fake.settings.show_names_locked = query.get("names") === "1";
(window as unknown as { fake: FakeBackend }).fake = fake;

mockWindows(query.get("window") ?? "main");
mockIPC((cmd, payload) => fake.handle(cmd, (payload ?? {}) as Record<string, unknown>), {
  shouldMockEvents: true,
});
await import("../src/main");
