// An in-memory stand-in for the Rust commands, for the browser tests: enough
// behaviour for every screen (a passphrase, secrets with versions, remotes, a
// sync that reports progress and one conflict, settings, a Runtype intake
// form and keyhaven:// links). Typed with the
// generated bindings, so a changed command shape fails `svelte-check`.
import { emit } from "@tauri-apps/api/event";
import type {
  ApprovalQuestion,
  ItemInfo,
  AuditEntry,
  Commands,
  Grant,
  Check,
  CheckResult,
  ConflictInfo,
  Intake,
  IntakeForm,
  IntakeOutcome,
  Keep,
  ImportPlan,
  ImportStep,
  ImportSummary,
  Link,
  ListItem,
  ListPage,
  ListRequest,
  Manifest,
  ManifestItem,
  NewRemote,
  NewSecret,
  RemoteInfo,
  SecretMeta,
  SecretRemote,
  Selection,
  SelectionView,
  Settings,
  SetupLink,
  Strength,
  SyncMark,
  SyncSummary,
  VaultState,
  VersionMeta,
} from "../src/lib/api";

export const PASSPHRASE = "correct horse battery";
const NOW = "2026-11-23T12:00:00Z";

interface Secret {
  meta: SecretMeta;
  values: string[];
}

/** An export as Rust would read it: its plan, and the values kept beside it. */
export interface ImportFile {
  plan: ImportPlan;
  values: string[];
  /** Set for a password-protected export. */
  password?: string;
}

type Args = Record<string, unknown>;

type Handlers = {
  [K in keyof Commands]: (
    args: Commands[K]["args"],
  ) => Commands[K]["result"] | Promise<Commands[K]["result"]>;
};

/** As core's `Rotation`: past or within 7 days of the date, on NOW's day. */
function rotation(by: string | null): string | null {
  if (by === null) return null;
  const days = Math.round((Date.parse(by) - Date.parse(NOW.slice(0, 10))) / 86_400_000);
  if (days <= 0) return `due for rotation since ${by}`;
  if (days === 1) return `due for rotation tomorrow, ${by}`;
  return days <= 7 ? `due for rotation in ${days} days, on ${by}` : null;
}

function fail(kind: string, message: string): never {
  throw { kind, message };
}

/** Rust's `session::NOT_REMEMBERED`. */
const NOT_REMEMBERED =
  "Unlocked, but this device's keyring could not keep the key (it is locked or missing), so the passphrase will be asked again next time.";

export class FakeBackend {
  exists = true;
  unlocked = false;
  remembered = false;
  secrets = new Map<string, Secret>();
  remotes: RemoteInfo[] = [];
  /** Remotes whose key the service refuses (revoked or expired), until replaced. */
  refused = new Set<string>();
  /** What syncs to each remote (the fake's sync sends everything regardless). */
  selections = new Map<string, Selection>();
  /** Names the remotes hold that this vault never had (offered by a pull). */
  newOnRemote: string[] = [];
  /** Names the remote no longer has: a prune would remove them here. */
  goneOnRemote: string[] = [];
  /** References put on the clipboard, in order. */
  copiedReferences: string[] = [];
  /** The export the file chooser returns (`null`: the user closes it). */
  importFile: ImportFile | null = null;
  private importRead = false;
  conflicts: ConflictInfo[] = [];
  marks: SyncMark[] = [];
  audit: AuditEntry[] = [];
  copied: string[] = [];
  /** The master passphrase; Settings may change it. */
  passphrase = PASSPHRASE;
  /** What each export wrote: Rust's save dialog is stood in for by its answer. */
  exports: { format: string; reveal: boolean; pattern: string; names: string[] }[] = [];
  tokens: string[] = [];
  windowClosed = false;
  /** The link `take_link` hands over next, or the reason it was refused. */
  pendingLink: Link | string | null = null;
  /** The Runtype remote's secrets, by key. */
  remoteValues = new Map<string, string>();
  /** Items of the intake form the remote serves. */
  formItems: ManifestItem[] = [];
  /** The next submit finds the form changed (409) once. */
  staleOnce = false;
  /** Keys the next submit's refreshed form reports invalid (not kept, as the app does). */
  invalidOnSubmit: string[] = [];
  opened: string[] = [];

  /** A link arrives, as from a second launch. */
  async deliver(link: Link | string) {
    this.pendingLink = link;
    await emit("link-opened");
  }
  settings: Settings = {
    auto_lock_minutes: 10,
    lock_on_sleep: true,
    clipboard_seconds: 20,
    reveal_seconds: 30,
    theme: "light",
    quick_reveal_shortcut: "CommandOrControl+Shift+K",
    start_at_login: false,
    rotation_reminders: true,
    show_names_locked: false,
    remember_hours: 0,
    push_changes: true,
    sync_minutes: 5,
    ssh_agent: false,
    secret_service: false,
  };
  /** Items programs stored (the Secret Service), and whether another provider owns the name. */
  items: ItemInfo[] = [];
  keyringTaken = false;
  /** The SSH agent's questions waiting for the window, and the answers given. */
  approvals: ApprovalQuestion[] = [];
  answers: { id: number; answer: string }[] = [];
  grants: Grant[] = [];

  /** A program asks to use a key, as the app's agent asks the window. */
  async ask(question: ApprovalQuestion) {
    this.approvals.push(question);
    await emit("approval-asked", question);
  }
  /** The OS keyring cannot keep a key (locked or missing). */
  keyringBroken = false;

  /** As Rust's `Session::remember`: the vault is unlocked either way. */
  private remember(asked: boolean): string | null {
    if (!asked) return null;
    if (this.keyringBroken) return NOT_REMEMBERED;
    this.remembered = true;
    return null;
  }

  add(name: string, value: string, extra: Partial<SecretMeta> = {}) {
    const meta: SecretMeta = {
      name,
      description: "",
      category: "",
      created: NOW,
      updated: NOW,
      version: 1,
      rotate_by: null,
      deleted: null,
      pinned: false,
      kind: "text",
      ...extra,
    };
    this.secrets.set(name, { meta, values: [value] });
  }

  private log(action: string, name: string | null) {
    this.audit.push({ at: NOW, action, name, detail: null } satisfies AuditEntry);
  }

  /** Secrets whose copy here was set aside, with the remote that kept its own (core's `out_of_date`). */
  outOfDate = new Map<string, string>();

  /** A key's test before it is stored: one starting "bad" is refused, as a revoked key is. */
  private checkKey(remote: string, token: string): Check {
    this.unlockedOrFail();
    if (token.startsWith("bad")) {
      fail(
        "remote",
        `${remote} refused this API key (HTTP 401 Unauthorized): it is revoked, expired or mistyped`,
      );
    }
    return this.handlers.test_remote({ name: remote }) as Check;
  }

  /** As core's `Error::OutOfDate`. */
  private currentOrFail(name: string) {
    const remote = this.outOfDate.get(name);
    if (remote) {
      fail(
        "other",
        `this device's copy of ${name} is out of date: ${remote} kept its own value, which it cannot send back. Set a new value here (\`keyhaven rotate ${name}\`; in the app, Rotate) to use it again`,
      );
    }
  }

  private unlockedOrFail() {
    if (!this.unlocked) fail("auth", "the vault is locked");
  }

  /** Names, descriptions and history: locked, only with "Show names while locked" (as Rust's `Session::names`). */
  private namesOrFail() {
    if (!this.unlocked && !this.settings.show_names_locked) fail("auth", "the vault is locked");
  }

  private secret(name: string): Secret {
    return this.secrets.get(name) ?? fail("not_found", `no secret named ${name}`);
  }

  /** Each command, typed by the generated `Commands`: a command missing here,
   * or one with other arguments, fails `svelte-check`. */
  handlers: Handlers = {
    vault_state: () => {
      return {
        path: "/home/dev/.local/share/keyhaven/vault.sqlite",
        exists: this.exists,
        unlocked: this.unlocked,
        remembered: this.remembered,
      } satisfies VaultState;
    },
    passphrase_strength: (args) => strength(String(args.passphrase)),
    create_vault: (args) => {
      if (!strength(String(args.passphrase)).strong_enough && !args.allowWeak)
        fail(
          "invalid_input",
          "this passphrase is weak (strength 1 of 4): pass --allow-weak to use it anyway",
        );
      this.exists = true;
      this.unlocked = true;
      return this.remember(Boolean(args.remember));
    },
    unlock: (args) => {
      if (args.passphrase !== this.passphrase) fail("auth", "wrong passphrase");
      this.unlocked = true;
      return this.remember(Boolean(args.remember));
    },
    lock: () => {
      this.unlocked = false;
    },
    note_activity: () => {},
    set_remember: (args) => {
      this.remembered = Boolean(args.remember);
    },
    audit_log: () => {
      this.namesOrFail();
      return this.audit;
    },
    list_secrets: () => {
      this.namesOrFail();
      return [...this.secrets.values()].map((s) => s.meta).sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    import_existing: (args) => {
      this.namesOrFail();
      return (args.names as string[]).map((name) => this.secrets.get(name)?.meta.deleted === null);
    },
    import_choose: () => {
      this.importRead = false;
      return this.importStep(null);
    },
    import_passphrase: (args) => this.importStep(String(args.passphrase)),
    import_commit: (args) => this.importCommit(args.names as (string | null)[], Boolean(args.overwrite)),
    import_cancel: () => {
      this.importRead = false;
    },
    copy_reference: (args) => {
      const reference = `keyhaven:${this.secret(String(args.name)).meta.name}`;
      this.copiedReferences.push(reference);
      return reference;
    },
    list_page: (args) => {
      this.namesOrFail();
      return this.listPage(args.request as ListRequest);
    },
    secret_history: (args) => {
      this.namesOrFail();
      const secret = this.secret(String(args.name));
      return secret.values.map((_, i) => ({
        version: i + 1,
        created: NOW,
        origin: i ? "rotate" : "set",
      })) satisfies VersionMeta[];
    },
    reveal_secret: (args) => {
      this.unlockedOrFail();
      const secret = this.secret(String(args.name));
      this.currentOrFail(secret.meta.name);
      this.log("reveal", secret.meta.name);
      return secret.values[secret.meta.version - 1];
    },
    copy_secret: (args) => {
      this.unlockedOrFail();
      this.secret(String(args.name));
      this.currentOrFail(String(args.name));
      this.copied.push(String(args.name));
      return this.settings.clipboard_seconds;
    },
    generate_value: (args) => {
      this.unlockedOrFail();
      const length = Number(args.length);
      if (length < 8 || length > 256) fail("invalid_input", "a generated value has 8 to 256 characters");
      return "G3n".padEnd(length, "x");
    },
    add_secret: (args) => {
      this.unlockedOrFail();
      const secret = args.secret as NewSecret;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secret.name)) {
        fail("invalid_input", "a name is letters, digits and _, not starting with a digit");
      }
      if (this.secrets.has(secret.name)) fail("already_exists", `${secret.name} already exists`);
      this.add(secret.name, String(args.value), {
        category: secret.category,
        description: secret.description,
      });
      this.log("set", secret.name);
      return this.secret(secret.name).meta;
    },
    rotate_secret: (args) => {
      this.unlockedOrFail();
      const secret = this.secret(String(args.name));
      secret.values.push(String(args.value));
      secret.meta = { ...secret.meta, version: secret.values.length };
      this.outOfDate.delete(secret.meta.name);
      return secret.meta;
    },
    rollback_secret: (args) => {
      const secret = this.secret(String(args.name));
      secret.values.push(secret.values[Number(args.version) - 1]);
      secret.meta = { ...secret.meta, version: secret.values.length };
      return secret.meta;
    },
    remove_secret: (args) => {
      this.unlockedOrFail();
      this.secrets.delete(String(args.name));
    },
    edit_secret: (args) => {
      this.unlockedOrFail();
      const secret = this.secret(String(args.name));
      const edited = args.secret;
      if (edited.name !== secret.meta.name) {
        if (this.secrets.has(edited.name)) fail("already_exists", `${edited.name} already exists`);
        this.secrets.delete(secret.meta.name);
        this.secrets.set(edited.name, secret);
      }
      secret.meta = {
        ...secret.meta,
        name: edited.name,
        description: edited.description.trim(),
        category: edited.category.trim(),
        rotate_by: edited.rotate_by || null,
      };
      return secret.meta;
    },
    change_passphrase: (args) => {
      this.unlockedOrFail();
      if (args.current !== this.passphrase) fail("auth", "wrong passphrase");
      if (!strength(args.replacement).strong_enough && !args.allowWeak)
        fail("invalid_input", "this passphrase is weak (strength 1 of 4)");
      this.passphrase = args.replacement;
      return args.rekey
        ? "Passphrase changed; 4 versions and every remote token were re-encrypted to a new key."
        : "Passphrase changed.";
    },
    export_secrets: (args) => {
      if (args.reveal) this.unlockedOrFail();
      const pattern = args.pattern.trim().toLowerCase();
      const names = [...this.secrets.keys()].filter((name) => name.toLowerCase().includes(pattern));
      this.exports.push({ format: args.format, reveal: args.reveal, pattern: args.pattern, names });
      const what = args.reveal ? "with their values" : "names and details only, no values";
      return `Exported ${names.length} secret(s), ${what}, to /home/dev/keyhaven.env (readable by you only).`;
    },
    set_pinned: (args) => {
      this.unlockedOrFail();
      const secret = this.secret(String(args.name));
      secret.meta = { ...secret.meta, pinned: Boolean(args.pinned) };
      return secret.meta;
    },
    list_remotes: () => this.remotes,
    add_remote: (args) => {
      this.unlockedOrFail();
      const remote = args.remote as NewRemote;
      this.tokens.push(String(args.token));
      const info: RemoteInfo = {
        name: remote.name,
        kind: remote.kind as RemoteInfo["kind"],
        url: remote.url,
        scope: remote.scope === "org" || remote.scope === "user" ? remote.scope : null,
        kv: remote.kv
          ? {
              mount: remote.kv.mount || "secret",
              prefix: remote.kv.prefix,
              namespace: remote.kv.namespace || null,
              role_id: remote.kv.role_id || null,
            }
          : null,
        token_mode: null,
        key: { set: NOW, expires: remote.expires || null, days: 0, warning: null },
        added: NOW,
        last_sync: null,
        pending: 0,
        conflicts: 0,
      };
      this.remotes.push(info);
      return info;
    },
    replace_remote_token: (args) => {
      this.unlockedOrFail();
      const remote = this.remotes.find((r) => r.name === args.name);
      if (!remote) fail("not_found", `no remote named ${String(args.name)}`);
      this.tokens.push(String(args.token));
      this.refused.delete(remote.name);
      remote.key = { set: NOW, expires: String(args.expires) || null, days: 0, warning: null };
      return remote;
    },
    remote_selection: (args) => {
      this.unlockedOrFail();
      const remote = String(args.remote);
      return this.selectionView(remote, (args.draft as Selection | null) ?? this.selectionOf(remote));
    },
    save_selection: (args) => {
      this.unlockedOrFail();
      const remote = String(args.remote);
      this.selections.set(remote, args.selection as Selection);
      return this.selectionView(remote, this.selectionOf(remote));
    },
    // As core's `Selection::with`: the exact name dropped from both lists,
    // then added to the one that makes the rules say `chosen`.
    tick_selection: (args) => {
      this.unlockedOrFail();
      const name = args.name;
      const same = (rule: string) => rule.toLowerCase() !== name.toLowerCase();
      const next = {
        ...args.draft,
        include: args.draft.include.filter(same),
        exclude: args.draft.exclude.filter(same),
      };
      if (this.selects(next, name) !== args.chosen) (args.chosen ? next.include : next.exclude).push(name);
      return this.selectionView(String(args.remote), next);
    },
    sync_line: () => {
      if (!this.remotes.length) return null;
      const synced = this.remotes.some((r) => r.last_sync) ? "Synced just now" : "Not synced yet";
      const conflicts = this.conflicts.length;
      return conflicts ? `${synced} · ${conflicts} conflict${conflicts === 1 ? "" : "s"}` : synced;
    },
    sync_status: () =>
      this.remotes.map((remote) => ({
        status: {
          remote: remote.name,
          last_sync: remote.last_sync,
          queued: [],
          conflicts: remote.conflicts,
          last_failure: null,
        },
        next_pass_seconds: remote.last_sync && this.unlocked ? 300 : null,
      })),
    secret_remotes: (args) => {
      this.unlockedOrFail();
      return this.secretRemotes(String(args.name));
    },
    choose_remote: (args) => {
      this.unlockedOrFail();
      const [name, remote] = [String(args.name), String(args.remote)];
      const selection = this.selectionOf(remote);
      const include = selection.include.filter((rule) => rule !== name);
      const exclude = selection.exclude.filter((rule) => rule !== name);
      (args.chosen ? include : exclude).push(name);
      this.selections.set(remote, { ...selection, include, exclude });
      return this.secretRemotes(name);
    },
    check_new_remote: (args) => this.checkKey(String((args.remote as NewRemote).name), String(args.token)),
    check_new_token: (args) => this.checkKey(String(args.name), String(args.token)),
    test_remote: () => {
      this.unlockedOrFail();
      return {
        capabilities: {
          can_reveal: false,
          versions: false,
          conditional_writes: false,
          list_limit: 5000,
        },
        writes: "not_refused",
        operations: [
          { operation: "list", access: "not_refused" },
          { operation: "read", access: "not_refused" },
          { operation: "write", access: "not_refused" },
        ],
      } satisfies Check;
    },
    remove_remote: (args) => {
      this.remotes = this.remotes.filter((r) => r.name !== args.name);
    },
    preview_sync: (args) => {
      this.unlockedOrFail();
      // Like the app: only the remotes whose sync needs a yes.
      return this.remotes
        .map((remote) => ({
          remote: remote.name,
          first_sync: remote.last_sync === null,
          sends: remote.last_sync === null ? [...this.secrets.keys()] : [],
          new_names: args.pull ? this.newOnRemote : [],
          deletes: [],
          deletes_here: args.prune ? this.goneOnRemote : [],
          delete_note: null,
        }))
        .filter(
          (p) => (p.first_sync && p.sends.length > 0) || p.new_names.length > 0 || p.deletes_here.length > 0,
        );
    },
    sync_remotes: (args) => {
      for (const name of args.acceptNew as string[]) this.add(name, `pulled-${name}`, {});
      if (args.prune) {
        for (const name of this.goneOnRemote) this.secrets.delete(name);
        this.goneOnRemote = [];
      }
      this.newOnRemote = this.newOnRemote.filter((name) => !(args.acceptNew as string[]).includes(name));
      return this.sync();
    },
    sync_overview: () => {
      this.namesOrFail();
      return this.marks;
    },
    list_conflicts: () => {
      this.namesOrFail();
      return this.conflicts;
    },
    resolve_conflict: (args) => {
      this.unlockedOrFail();
      const keep = args.keep as Keep;
      const conflict = this.conflicts.find((c) => c.name === args.name && c.remote === args.remote);
      if (keep === "remote" && conflict && !conflict.remote_reveals) {
        if (!args.acceptUnreadable) fail("invalid_input", `${conflict.remote} cannot send values back`);
        this.outOfDate.set(conflict.name, conflict.remote);
      }
      this.conflicts = this.conflicts.filter((c) => !(c.name === args.name && c.remote === args.remote));
      this.marks = this.marks.map((m) => (m.name === args.name ? { ...m, state: "synced" } : m));
      this.log("resolve", `${String(args.name)} (${keep})`);
    },
    resolve_all: (args) => {
      this.unlockedOrFail();
      const settled = this.conflicts.length;
      this.conflicts = [];
      this.marks = this.marks.map((m) => ({ ...m, state: "synced" }));
      this.log("resolve", `${settled} (${String(args.keep)})`);
      return [];
    },
    take_link: () => {
      const link = this.pendingLink;
      this.pendingLink = null;
      if (typeof link === "string") fail("invalid_input", `This link was refused: ${link}`);
      return link;
    },
    check_keys: (args) => {
      this.unlockedOrFail();
      const keys = args.keys as string[];
      return {
        found: keys.filter((key) => this.remoteValues.has(key)),
        missing: keys.filter((key) => !this.remoteValues.has(key)),
        revoked: [],
      } satisfies CheckResult;
    },
    setup_url: (args) => {
      this.unlockedOrFail();
      return {
        setup: {
          alreadyConfigured: [],
          missing: args.keys as string[],
          revoked: [],
          url: "https://app.runtype.example/setup?keys=1",
        },
        openable: true,
      } satisfies SetupLink;
    },
    intake_form: (args) => {
      this.unlockedOrFail();
      return this.form(args.intake as Intake);
    },
    submit_intake: (args) => this.submit(args),
    open_remote_url: (args) => {
      this.opened.push(String(args.url));
    },
    open_docs: (args) => {
      this.opened.push(String(args.url));
    },
    get_settings: () => this.settings,
    save_settings: (args) => {
      const settings = args.settings as Settings;
      if (settings.clipboard_seconds < 5)
        fail("invalid_input", "clipboard seconds must be between 5 and 600");
      if (settings.secret_service && !this.settings.secret_service && this.keyringTaken)
        fail("invalid_input", "org.freedesktop.secrets is owned by gnome-keyring-daemon: stop it first");
      this.settings = settings;
      return settings;
    },
    agent_status: () => ({
      running: this.settings.ssh_agent,
      socket: this.settings.ssh_agent ? "/run/user/1000/keyhaven/ssh-agent.sock" : null,
    }),
    pending_approvals: () => this.approvals,
    answer_approval: (args) => {
      const id = Number(args.id);
      const asked = this.approvals.some((question) => question.id === id);
      this.approvals = this.approvals.filter((question) => question.id !== id);
      if (asked) this.answers.push({ id, answer: String(args.answer) });
      return asked;
    },
    list_grants: () => {
      this.unlockedOrFail();
      return this.grants;
    },
    revoke_grant: (args) => {
      this.unlockedOrFail();
      this.grants = this.grants.filter((grant) => grant.id !== Number(args.id));
      return this.grants;
    },
    keyring_status: () => ({
      running: this.settings.secret_service,
      error: this.keyringTaken
        ? "org.freedesktop.secrets is owned by gnome-keyring-daemon (/usr/bin/gnome-keyring-daemon, pid 1234): stop it first"
        : null,
    }),
    list_items: () => {
      this.namesOrFail();
      return [...this.items].sort((a, b) => b.modified.localeCompare(a.modified));
    },
    remove_item: (args) => {
      this.unlockedOrFail();
      this.items = this.items.filter((item) => item.id !== Number(args.id));
    },
    set_item_always_ask: (args) => {
      this.unlockedOrFail();
      const item =
        this.items.find((item) => item.id === Number(args.id)) ?? fail("invalid_input", "no such item");
      item.always_ask = Boolean(args.on);
      return { ...item };
    },
  };

  handle = async (cmd: string, args: Args = {}): Promise<unknown> => {
    if (cmd === "plugin:window|close") {
      this.windowClosed = true;
      return null;
    }
    const handler =
      this.handlers[cmd as keyof Commands] ?? fail("other", `the fake backend has no command ${cmd}`);
    return (handler as (args: Args) => unknown)(args);
  };

  private importStep(password: string | null): ImportStep {
    const file = this.importFile;
    if (!file) return { step: "cancelled" };
    if (file.password !== undefined && password !== file.password) {
      return { step: "passphrase", file: file.plan.path, wrong: password !== null };
    }
    this.importRead = true;
    return { step: "plan", plan: file.plan };
  }

  private importCommit(names: (string | null)[], overwrite: boolean): ImportSummary {
    const file = this.importFile;
    if (!file || !this.importRead) fail("invalid", "no file is chosen for import (choose one first)");
    const chosen = names.flatMap((name, i) => (name === null ? [] : [[name, file.values[i]] as const]));
    const bad = chosen.find(([name]) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
    if (bad) fail("invalid", `invalid secret name ${JSON.stringify(bad[0])}`);
    const twice = chosen.find(([name], i) => chosen.findIndex(([other]) => other === name) !== i);
    if (twice) fail("invalid", `invalid choices: two entries would be named ${twice[0]}`);
    this.unlockedOrFail();
    const summary: ImportSummary = { added: 0, updated: 0, existing: [], left_out: 0 };
    summary.left_out = file.plan.skipped.length + names.filter((name) => name === null).length;
    for (const [name, value] of chosen) {
      const secret = this.secrets.get(name);
      if (secret && !overwrite) summary.existing.push(name);
      else if (secret) {
        secret.values.push(value);
        secret.meta = { ...secret.meta, version: secret.values.length };
        summary.updated++;
      } else {
        this.add(name, value, {});
        summary.added++;
      }
    }
    this.importRead = false;
    return summary;
  }

  /** The list as core's listing.rs pages it, over the fake's secrets and marks. */
  private listPage({ filter, start, count, selected, find }: ListRequest): ListPage {
    const byName = new Map<string, ListItem>();
    for (const { meta } of this.secrets.values())
      byName.set(meta.name, { name: meta.name, meta, marks: [], rotation: rotation(meta.rotate_by) });
    for (const mark of this.marks) {
      if (!byName.has(mark.name))
        byName.set(mark.name, { name: mark.name, meta: null, marks: [], rotation: null });
      byName.get(mark.name)!.marks.push(mark);
    }
    // Pinned first, then by name.
    const pinned = (item: ListItem) => (item.meta?.pinned ? 0 : 1);
    const items = [...byName.values()].sort((a, b) => pinned(a) - pinned(b) || (a.name < b.name ? -1 : 1));
    const words = filter.query.toLowerCase().split(/\s+/).filter(Boolean);
    const text = ({ name, meta }: ListItem) => `${name}\n${meta?.description ?? ""}\n${meta?.category ?? ""}`;
    const matches = items.filter(
      (item) =>
        (!filter.category || item.meta?.category === filter.category) &&
        (!filter.due_only || item.rotation !== null) &&
        ((!filter.remote && !filter.sync) ||
          item.marks.some(
            (m) =>
              (!filter.remote || m.remote === filter.remote) && (!filter.sync || m.state === filter.sync),
          )) &&
        words.every((word) => text(item).toLowerCase().includes(word)),
    );
    const from = Math.min(start, matches.length);
    const found = find === null ? -1 : matches.findIndex((item) => item.name === find);
    const sorted = (list: string[]) => [...new Set(list.filter(Boolean))].sort();
    return {
      total: items.length,
      matched: matches.length,
      start: from,
      rows: matches.slice(from, from + Math.min(count, 500)),
      selected: matches[selected] ?? null,
      found: found < 0 ? null : found,
      categories: sorted(items.map((item) => item.meta?.category ?? "")),
      remotes: sorted(this.marks.map((mark) => mark.remote)),
    };
  }

  private manifest(intake: Intake): Manifest {
    const items = this.formItems.map((item) => {
      const value = this.remoteValues.get(item.secretKey);
      return { ...item, status: value ? "configured" : "needs_configuration", version: value ? 1 : null };
    });
    const pending = items.filter((item) => item.status !== "configured").length;
    return {
      source: { type: intake.source, key: intake.key },
      title: "Connect your providers",
      description: "Keys the agent needs.",
      items,
      configurationStatus: pending ? "needs_configuration" : "configured",
      pendingConfigurationCount: pending,
      returnUrl: "https://app.runtype.example/done",
      handoff: { type: "redirect", url: "https://evil.example/continue", expiresAt: null },
    };
  }

  private form(intake: Intake): IntakeForm {
    const manifest = this.manifest(intake);
    return {
      manifest,
      in_vault: manifest.items.filter((item) => this.secrets.has(item.secretKey)).map((item) => item.itemId),
      next: [
        { next: "return", url: "https://app.runtype.example/done", openable: true, expired: null },
        { next: "handoff", url: "https://evil.example/continue", openable: false, expired: null },
      ],
    };
  }

  private submit(args: Args): IntakeOutcome {
    this.unlockedOrFail();
    const intake = args.intake as Intake;
    const seen = args.manifest as Manifest;
    if (this.staleOnce) {
      this.staleOnce = false;
      return {
        form: this.form(intake),
        submitted: 0,
        changes: ["DB_PASSWORD: changed by someone else"],
        skipped: [],
        not_kept: [],
      };
    }
    const key = (id: string) => seen.items.find((item) => item.itemId === id)!.secretKey;
    const values: [string, string][] = [
      ...(args.fromVault as string[]).map((id): [string, string] => [
        key(id),
        this.secret(key(id)).values.at(-1)!,
      ]),
      ...Object.entries(args.typed as Record<string, string>).map(([id, value]): [string, string] => [
        key(id),
        value,
      ]),
    ];
    const refused = this.invalidOnSubmit;
    this.invalidOnSubmit = [];
    for (const [name, value] of values) {
      this.remoteValues.set(name, value);
      if (args.keep && !this.secrets.has(name) && !refused.includes(name)) this.add(name, value);
    }
    const notKept = args.keep ? refused.map((name) => `${name} (invalid)`) : [];
    return { form: this.form(intake), submitted: values.length, changes: [], skipped: [], not_kept: notKept };
  }

  private selectionOf(remote: string): Selection {
    return this.selections.get(remote) ?? { include: [], categories: [], exclude: [] };
  }

  /** Core's rule, simplified: an exact name first, then patterns (exclude wins). */
  private selects(selection: Selection, name: string): boolean {
    const glob = (pattern: string) =>
      new RegExp(`^${pattern.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i").test(name);
    if (selection.exclude.includes(name)) return false;
    if (selection.include.includes(name)) return true;
    return selection.include.some(glob) && !selection.exclude.some(glob);
  }

  private selectionView(remote: string, selection: Selection): SelectionView {
    const names = [...this.secrets.keys()];
    return {
      selection,
      chosen: names.filter((name) => this.selects(selection, name)),
      not_chosen: names.filter((name) => !this.selects(selection, name)),
      rows: names.map((name) => ({
        name,
        category: this.secret(name).meta.category,
        chosen: this.selects(selection, name),
      })),
      shared_with_org: this.remotes.find((r) => r.name === remote)?.scope === "org",
    };
  }

  private secretRemotes(name: string): SecretRemote[] {
    return this.remotes.map((remote) => ({
      remote: remote.name,
      chosen: this.selects(this.selectionOf(remote.name), name),
      shared_with_org: remote.scope === "org",
    }));
  }

  /** Pushes every secret, reports progress, and finds one conflict. */
  private async sync(): Promise<SyncSummary[]> {
    this.unlockedOrFail();
    const names = [...this.secrets.keys()];
    const out: SyncSummary[] = [];
    for (const remote of this.remotes) {
      if (this.refused.has(remote.name)) {
        out.push({
          remote: remote.name,
          listed: 0,
          listing_complete: false,
          offline: null,
          error: `${remote.name} refused its API key: it was revoked, has expired or was mistyped.`,
          key_refused: true,
          warnings: [],
          counts: [],
          open: [],
          sentence: "",
          nothing_chosen: false,
        });
        continue;
      }
      for (let done = 0; done <= names.length; done += Math.max(1, Math.ceil(names.length / 4))) {
        await emit("sync-progress", { remote: remote.name, done, total: names.length });
      }
      const [first, ...rest] = names;
      this.conflicts = first
        ? [
            {
              remote: remote.name,
              name: first,
              reason: "changed here and on the remote since the last sync",
              detected: NOW,
              local_version: this.secret(first).meta.version,
              local_changed: NOW,
              remote_reveals: remote.kind === "runtools",
            },
          ]
        : [];
      this.marks = names.map((name) => ({
        remote: remote.name,
        name,
        state: name === first ? "conflict" : "synced",
      }));
      remote.last_sync = NOW;
      out.push({
        remote: remote.name,
        listed: names.length,
        listing_complete: true,
        offline: null,
        error: null,
        warnings: [],
        counts: rest.length ? [{ label: "create", count: rest.length }] : [],
        open: first ? [{ name: first, what: "conflict: changed here and on the remote", error: null }] : [],
        // As core words it (`SyncReport::sentence`).
        sentence: [
          rest.length ? `${rest.length} new secret(s) sent` : "",
          first ? "1 conflict(s) to settle" : "",
        ]
          .filter(Boolean)
          .join("; "),
        nothing_chosen: false,
        key_refused: false,
      });
    }
    return out;
  }
}

/** A stand-in for zxcvbn (core's rule): long enough and not a known weak one. */
function strength(passphrase: string): Strength {
  const chars = [...passphrase].length;
  const weak = chars < 12 || /^(password|hunter|qwerty)/i.test(passphrase);
  return {
    score: weak ? 1 : 4,
    chars,
    warning: weak ? "This is similar to a commonly used password." : null,
    suggestions: weak ? ["Add another word or two. Uncommon words are better."] : [],
    strong_enough: !weak,
  };
}
