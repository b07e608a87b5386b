// Typed calls into the Tauri commands (src-tauri/src/commands/). The types
// come from Rust via ts-rs (./bindings, checked fresh by `cargo test`).
import { invoke } from "@tauri-apps/api/core";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { Capabilities } from "./bindings/Capabilities";
import type { Check } from "./bindings/Check";
import type { CheckResult } from "./bindings/CheckResult";
import type { CommandError } from "./bindings/CommandError";
import type { ConflictInfo } from "./bindings/ConflictInfo";
import type { Destination } from "./bindings/Destination";
import type { ImportKind } from "./bindings/ImportKind";
import type { ImportPlan } from "./bindings/ImportPlan";
import type { ImportRow } from "./bindings/ImportRow";
import type { ImportSkipped } from "./bindings/ImportSkipped";
import type { ImportStep } from "./bindings/ImportStep";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { Intake } from "./bindings/Intake";
import type { IntakeForm } from "./bindings/IntakeForm";
import type { IntakeOutcome } from "./bindings/IntakeOutcome";
import type { Keep } from "./bindings/Keep";
import type { Kind } from "./bindings/Kind";
import type { Link } from "./bindings/Link";
import type { ListFilter } from "./bindings/ListFilter";
import type { ListItem } from "./bindings/ListItem";
import type { ListPage } from "./bindings/ListPage";
import type { ListRequest } from "./bindings/ListRequest";
import type { Manifest } from "./bindings/Manifest";
import type { ManifestItem } from "./bindings/ManifestItem";
import type { NewRemote } from "./bindings/NewRemote";
import type { NewSecret } from "./bindings/NewSecret";
import type { Preview } from "./bindings/Preview";
import type { RemoteInfo } from "./bindings/RemoteInfo";
import type { SecretMeta } from "./bindings/SecretMeta";
import type { SecretRemote } from "./bindings/SecretRemote";
import type { Selection } from "./bindings/Selection";
import type { SelectionView } from "./bindings/SelectionView";
import type { Settings } from "./bindings/Settings";
import type { SetupLink } from "./bindings/SetupLink";
import type { Strength } from "./bindings/Strength";
import type { SyncMark } from "./bindings/SyncMark";
import type { SyncProgress } from "./bindings/SyncProgress";
import type { SyncState } from "./bindings/SyncState";
import type { SyncSummary } from "./bindings/SyncSummary";
import type { Theme } from "./bindings/Theme";
import type { VaultState } from "./bindings/VaultState";
import type { VersionMeta } from "./bindings/VersionMeta";

export type {
  AuditEntry,
  Capabilities,
  Check,
  CheckResult,
  CommandError,
  ConflictInfo,
  Destination,
  ImportKind,
  ImportPlan,
  ImportRow,
  ImportSkipped,
  ImportStep,
  ImportSummary,
  Intake,
  IntakeForm,
  IntakeOutcome,
  Keep,
  Kind,
  Link,
  ListFilter,
  ListItem,
  ListPage,
  ListRequest,
  Manifest,
  ManifestItem,
  NewRemote,
  NewSecret,
  Preview,
  RemoteInfo,
  SecretMeta,
  SecretRemote,
  Selection,
  SelectionView,
  Settings,
  SetupLink,
  Strength,
  SyncMark,
  SyncProgress,
  SyncState,
  SyncSummary,
  Theme,
  VaultState,
  VersionMeta,
};

/** Emitted by the app when the vault was locked outside the UI (tray, idle). */
export const VAULT_CHANGED = "vault-changed";
/** Emitted while a sync runs, with a `SyncProgress`. */
export const SYNC_PROGRESS = "sync-progress";
/** Emitted when a keyhaven:// link arrived; `takeLink` reads it. */
export const LINK_OPENED = "link-opened";

export const api = {
  vaultState: () => invoke<VaultState>("vault_state"),
  /** Refused when weak (core's rule) unless `allowWeak`: the user chose "use it anyway". */
  createVault: (passphrase: string, remember: boolean, allowWeak: boolean) =>
    invoke<void>("create_vault", { passphrase, remember, allowWeak }),
  /** The strength estimate of a passphrase being typed (nothing is kept). */
  passphraseStrength: (passphrase: string) => invoke<Strength>("passphrase_strength", { passphrase }),
  /** Without a passphrase: with the key remembered on this device. */
  unlock: (passphrase: string | null, remember: boolean) => invoke<void>("unlock", { passphrase, remember }),
  lock: () => invoke<void>("lock"),
  /** The user is active: restarts the idle timer. */
  noteActivity: () => invoke<void>("note_activity"),
  setRemember: (remember: boolean) => invoke<void>("set_remember", { remember }),
  /** The newest entries of the audit log, oldest first. */
  auditLog: (limit: number) => invoke<AuditEntry[]>("audit_log", { limit }),

  listSecrets: () => invoke<SecretMeta[]>("list_secrets"),
  /** Opens the system's file chooser (in Rust) and reads the export chosen. */
  importChoose: (folder: boolean, kind: ImportKind | null, includeNotes: boolean) =>
    invoke<ImportStep>("import_choose", { folder, kind, includeNotes }),
  importPassphrase: (passphrase: string) => invoke<ImportStep>("import_passphrase", { passphrase }),
  /** One choice per plan row: the name to use, or `null` to leave it out. */
  importCommit: (names: (string | null)[], overwrite: boolean) =>
    invoke<ImportSummary>("import_commit", { names, overwrite }),
  importCancel: () => invoke<void>("import_cancel"),
  /** The list's rows in view, searched in Rust, with the selected match. */
  listPage: (request: ListRequest) => invoke<ListPage>("list_page", { request }),
  history: (name: string) => invoke<VersionMeta[]>("secret_history", { name }),
  reveal: (name: string) => invoke<string>("reveal_secret", { name }),
  /** Puts `keyhaven:NAME` on the clipboard (not a secret: never cleared); resolves to that text. */
  copyReference: (name: string) => invoke<string>("copy_reference", { name }),
  /** Copies in Rust; resolves to the seconds until the clipboard is cleared. */
  copy: (name: string) => invoke<number>("copy_secret", { name }),
  add: (secret: NewSecret, value: string) => invoke<SecretMeta>("add_secret", { secret, value }),
  rotate: (name: string, value: string | null, generate: number | null) =>
    invoke<SecretMeta>("rotate_secret", { name, value, generate }),
  rollback: (name: string, version: number) => invoke<SecretMeta>("rollback_secret", { name, version }),
  remove: (name: string) => invoke<void>("remove_secret", { name }),
  setPinned: (name: string, pinned: boolean) => invoke<SecretMeta>("set_pinned", { name, pinned }),

  listRemotes: () => invoke<RemoteInfo[]>("list_remotes"),
  /** The token goes to Rust, is encrypted there and never comes back. */
  addRemote: (remote: NewRemote, token: string) => invoke<RemoteInfo>("add_remote", { remote, token }),
  /** A new API key for a remote (its sync state stays); `expires` is YYYY-MM-DD or "". */
  replaceRemoteToken: (name: string, token: string, expires: string) =>
    invoke<RemoteInfo>("replace_remote_token", { name, token, expires }),
  /** What syncs to a remote; with `draft`, what those rules would choose (nothing saved). */
  remoteSelection: (remote: string, draft: Selection | null) =>
    invoke<SelectionView>("remote_selection", { remote, draft }),
  saveSelection: (remote: string, selection: Selection) =>
    invoke<SelectionView>("save_selection", { remote, selection }),
  /** Each remote, and whether this secret goes there. */
  secretRemotes: (name: string) => invoke<SecretRemote[]>("secret_remotes", { name }),
  chooseRemote: (name: string, remote: string, chosen: boolean) =>
    invoke<SecretRemote[]>("choose_remote", { name, remote, chosen }),
  testRemote: (name: string) => invoke<Check>("test_remote", { name }),
  removeRemote: (name: string) => invoke<void>("remove_remote", { name }),
  /** The remotes whose sync needs a yes first: a first sync's sends, new names (changes nothing). */
  previewSync: (remote: string | null, pull: boolean, prune: boolean) =>
    invoke<Preview[]>("preview_sync", { remote, pull, prune }),
  /** One remote, or all with `null`; a pull creates only the new names in `acceptNew`. */
  sync: (remote: string | null, prune: boolean, pull: boolean, acceptNew: string[]) =>
    invoke<SyncSummary[]>("sync_remotes", { remote, prune, pull, acceptNew }),
  syncOverview: () => invoke<SyncMark[]>("sync_overview"),
  conflicts: () => invoke<ConflictInfo[]>("list_conflicts"),
  resolve: (name: string, remote: string, keep: Keep) =>
    invoke<void>("resolve_conflict", { name, remote, keep }),
  /** Every open conflict (one remote's with `remote`), one side kept for all. */
  resolveAll: (remote: string | null, keep: Keep) => invoke<SyncSummary[]>("resolve_all", { remote, keep }),

  /** The link that arrived last, parsed and vetted by Rust; null when none waits. */
  takeLink: () => invoke<Link | null>("take_link"),
  checkKeys: (remote: string, keys: string[]) => invoke<CheckResult>("check_keys", { remote, keys }),
  setupUrl: (remote: string, keys: string[]) => invoke<SetupLink>("setup_url", { remote, keys }),
  intakeForm: (intake: Intake) => invoke<IntakeForm>("intake_form", { intake }),
  /** `fromVault`: item ids Rust fills from the vault (their values never come here). */
  submitIntake: (
    intake: Intake,
    manifest: Manifest,
    fromVault: string[],
    typed: Record<string, string>,
    keep: boolean,
  ) => invoke<IntakeOutcome>("submit_intake", { intake, manifest, fromVault, typed, keep }),
  /** Opened only when on the remote's own site (checked in Rust). */
  openRemoteUrl: (remote: string, url: string) => invoke<void>("open_remote_url", { remote, url }),
  openDocs: (url: string) => invoke<void>("open_docs", { url }),

  getSettings: () => invoke<Settings>("get_settings"),
  saveSettings: (settings: Settings) => invoke<Settings>("save_settings", { settings }),
};

/** The message of a failed command (or of anything else thrown). */
export function errorMessage(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) {
    return String((error as CommandError).message);
  }
  return String(error);
}

export function isLockedError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as CommandError).kind === "auth";
}
