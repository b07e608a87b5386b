// Generated from the Rust commands (src-tauri/src/commands/) by
// `UPDATE_BINDINGS=1 cargo test -p keyhaven-app`: do not edit.
import { invoke } from "@tauri-apps/api/core";
import type { AgentStatus } from "./bindings/AgentStatus";
import type { Answer } from "./bindings/Answer";
import type { ApprovalQuestion } from "./bindings/ApprovalQuestion";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { Check } from "./bindings/Check";
import type { CheckResult } from "./bindings/CheckResult";
import type { ConflictInfo } from "./bindings/ConflictInfo";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { Grant } from "./bindings/Grant";
import type { ImportKind } from "./bindings/ImportKind";
import type { ImportStep } from "./bindings/ImportStep";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { Intake } from "./bindings/Intake";
import type { IntakeForm } from "./bindings/IntakeForm";
import type { IntakeOutcome } from "./bindings/IntakeOutcome";
import type { ItemInfo } from "./bindings/ItemInfo";
import type { Keep } from "./bindings/Keep";
import type { KeyringStatus } from "./bindings/KeyringStatus";
import type { Link } from "./bindings/Link";
import type { ListPage } from "./bindings/ListPage";
import type { ListRequest } from "./bindings/ListRequest";
import type { Manifest } from "./bindings/Manifest";
import type { NewRemote } from "./bindings/NewRemote";
import type { NewSecret } from "./bindings/NewSecret";
import type { PassView } from "./bindings/PassView";
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
import type { SyncSummary } from "./bindings/SyncSummary";
import type { VaultState } from "./bindings/VaultState";
import type { VersionMeta } from "./bindings/VersionMeta";

/** Each command's arguments, as the webview sends them, and its result. */
export interface Commands {
  agent_status: { args: Record<string, never>; result: AgentStatus };
  pending_approvals: { args: Record<string, never>; result: Array<ApprovalQuestion> };
  answer_approval: { args: { id: number; answer: Answer }; result: boolean };
  list_grants: { args: Record<string, never>; result: Array<Grant> };
  revoke_grant: { args: { id: number }; result: Array<Grant> };
  export_secrets: { args: { format: ExportFormat; reveal: boolean; pattern: string }; result: string | null };
  import_existing: { args: { names: Array<string> }; result: Array<boolean> };
  import_choose: { args: { folder: boolean; kind: ImportKind | null; includeNotes: boolean }; result: ImportStep };
  import_passphrase: { args: { passphrase: string }; result: ImportStep };
  import_commit: { args: { names: Array<string | null>; overwrite: boolean }; result: ImportSummary };
  import_cancel: { args: Record<string, never>; result: void };
  take_link: { args: Record<string, never>; result: Link | null };
  check_keys: { args: { remote: string; keys: Array<string> }; result: CheckResult };
  setup_url: { args: { remote: string; keys: Array<string> }; result: SetupLink };
  intake_form: { args: { intake: Intake }; result: IntakeForm };
  submit_intake: { args: { intake: Intake; manifest: Manifest; fromVault: Array<string>; typed: { [key in string]: string }; keep: boolean }; result: IntakeOutcome };
  open_remote_url: { args: { remote: string; url: string }; result: void };
  open_docs: { args: { url: string }; result: void };
  keyring_status: { args: Record<string, never>; result: KeyringStatus };
  list_items: { args: Record<string, never>; result: Array<ItemInfo> };
  remove_item: { args: { id: number }; result: void };
  set_item_always_ask: { args: { id: number; on: boolean }; result: ItemInfo };
  list_remotes: { args: Record<string, never>; result: Array<RemoteInfo> };
  check_new_remote: { args: { remote: NewRemote; token: string }; result: Check };
  check_new_token: { args: { name: string; token: string }; result: Check };
  add_remote: { args: { remote: NewRemote; token: string }; result: RemoteInfo };
  replace_remote_token: { args: { name: string; token: string; expires: string }; result: RemoteInfo };
  tick_selection: { args: { remote: string; draft: Selection; name: string; chosen: boolean }; result: SelectionView };
  remote_selection: { args: { remote: string; draft: Selection | null }; result: SelectionView };
  save_selection: { args: { remote: string; selection: Selection }; result: SelectionView };
  secret_remotes: { args: { name: string }; result: Array<SecretRemote> };
  choose_remote: { args: { name: string; remote: string; chosen: boolean }; result: Array<SecretRemote> };
  test_remote: { args: { name: string }; result: Check };
  remove_remote: { args: { name: string }; result: void };
  preview_sync: { args: { remote: string | null; pull: boolean; prune: boolean }; result: Array<Preview> };
  sync_remotes: { args: { remote: string | null; prune: boolean; pull: boolean; acceptNew: Array<string> }; result: Array<SyncSummary> };
  sync_overview: { args: Record<string, never>; result: Array<SyncMark> };
  list_conflicts: { args: Record<string, never>; result: Array<ConflictInfo> };
  resolve_conflict: { args: { name: string; remote: string; keep: Keep; acceptUnreadable: boolean }; result: void };
  resolve_all: { args: { remote: string | null; keep: Keep }; result: Array<SyncSummary> };
  sync_status: { args: Record<string, never>; result: Array<PassView> };
  sync_line: { args: Record<string, never>; result: string | null };
  list_secrets: { args: Record<string, never>; result: Array<SecretMeta> };
  list_page: { args: { request: ListRequest }; result: ListPage };
  secret_history: { args: { name: string }; result: Array<VersionMeta> };
  reveal_secret: { args: { name: string }; result: string };
  copy_secret: { args: { name: string }; result: number };
  copy_reference: { args: { name: string }; result: string };
  add_secret: { args: { secret: NewSecret; value: string }; result: SecretMeta };
  rotate_secret: { args: { name: string; value: string }; result: SecretMeta };
  generate_value: { args: { length: number }; result: string };
  edit_secret: { args: { name: string; secret: NewSecret }; result: SecretMeta };
  rollback_secret: { args: { name: string; version: number }; result: SecretMeta };
  remove_secret: { args: { name: string }; result: void };
  set_pinned: { args: { name: string; pinned: boolean }; result: SecretMeta };
  get_settings: { args: Record<string, never>; result: Settings };
  save_settings: { args: { settings: Settings }; result: Settings };
  vault_state: { args: Record<string, never>; result: VaultState };
  change_passphrase: { args: { current: string; replacement: string; allowWeak: boolean; rekey: boolean }; result: string };
  passphrase_strength: { args: { passphrase: string }; result: Strength };
  create_vault: { args: { passphrase: string; remember: boolean; allowWeak: boolean }; result: string | null };
  unlock: { args: { passphrase: string | null; remember: boolean }; result: string | null };
  lock: { args: Record<string, never>; result: void };
  note_activity: { args: Record<string, never>; result: void };
  audit_log: { args: { limit: number }; result: Array<AuditEntry> };
  set_remember: { args: { remember: boolean }; result: void };
}

/** Each command as a function. */
export const commands = {
  /** Whether the agent runs, and at which socket. */
  agentStatus: () => invoke<AgentStatus>("agent_status"),
  /** The questions waiting for an answer (a window shown late asks them too). */
  pendingApprovals: () => invoke<Array<ApprovalQuestion>>("pending_approvals"),
  /** Answers question `id`; false when it was answered or timed out already. */
  answerApproval: (id: number, answer: Answer) => invoke<boolean>("answer_approval", { id, answer }),
  /** The programs allowed always (unlocked: each grant's tag is checked). */
  listGrants: () => invoke<Array<Grant>>("list_grants"),
  /** Forgets grant `id`: its program is asked again. The grants left. */
  revokeGrant: (id: number) => invoke<Array<Grant>>("revoke_grant", { id }),
  /** Asks where to save (the dialog asks before replacing a file), then writes the secrets whose names match `pattern` (every one when empty) as `format`, with their values only when `reveal`, to a file only its owner can read. Says what was written, or `None` when the dialog was cancelled. */
  exportSecrets: (format: ExportFormat, reveal: boolean, pattern: string) => invoke<string | null>("export_secrets", { format, reveal, pattern }),
  /** Which of `names` a live secret already has: what the preview marks "skipped (exists)" or "new version" (as `import --dry-run` does). Names only, for the rows of the plan shown; locked, only with "Show names while locked", as the list. */
  importExisting: (names: Array<string>) => invoke<Array<boolean>>("import_existing", { names }),
  /** Opens the file chooser (a folder chooser for a pass store) and reads the file chosen, as `kind` or as its content says. */
  importChoose: (folder: boolean, kind: ImportKind | null, includeNotes: boolean) => invoke<ImportStep>("import_choose", { folder, kind, includeNotes }),
  /** Reads the chosen file again with its password. */
  importPassphrase: (passphrase: string) => invoke<ImportStep>("import_passphrase", { passphrase }),
  /** Imports the plan with the user's choices, one per row: the name to use, or `null` to leave the row out. Existing names are skipped unless `overwrite`, which adds a version. A refused choice keeps the plan. */
  importCommit: (names: Array<string | null>, overwrite: boolean) => invoke<ImportSummary>("import_commit", { names, overwrite }),
  /** Forgets the chosen file and its plan. */
  importCancel: () => invoke<void>("import_cancel"),
  /** The link that arrived last, parsed and vetted; `None` when none waits. Works locked: the UI asks to unlock before it acts on one. */
  takeLink: () => invoke<Link | null>("take_link"),
  /** Which of `keys` the remote has: found, missing, revoked. */
  checkKeys: (remote: string, keys: Array<string>) => invoke<CheckResult>("check_keys", { remote, keys }),
  /** A URL on the remote's dashboard where the missing `keys` can be set. */
  setupUrl: (remote: string, keys: Array<string>) => invoke<SetupLink>("setup_url", { remote, keys }),
  /** Fetches the intake form and marks what the vault can fill. */
  intakeForm: (intake: Intake) => invoke<IntakeForm>("intake_form", { intake }),
  /** Submits the form as the user saw it (`manifest`, for each item's version): `from_vault` item ids take the vault's secret of the same name, `typed` maps item ids to what the user typed. With `keep`, accepted values are kept in the vault too. */
  submitIntake: (intake: Intake, manifest: Manifest, fromVault: Array<string>, typed: { [key in string]: string }, keep: boolean) => invoke<IntakeOutcome>("submit_intake", { intake, manifest, fromVault, typed, keep }),
  /** Opens a URL a remote handed back (return, handoff, setup) in the system browser, only when it is on that remote's own site. */
  openRemoteUrl: (remote: string, url: string) => invoke<void>("open_remote_url", { remote, url }),
  /** Opens an item's documentation in the system browser: https only. */
  openDocs: (url: string) => invoke<void>("open_docs", { url }),
  /** Whether the app serves as the keyring, and why not when it tried. */
  keyringStatus: () => invoke<KeyringStatus>("keyring_status"),
  /** The items programs stored, newest change first; locked, only with "Show names while locked" (labels and attributes are in the clear). */
  listItems: () => invoke<Array<ItemInfo>>("list_items"),
  /** Removes item `id` (its history stays until purge, as every removal's). */
  removeItem: (id: number) => invoke<void>("remove_item", { id }),
  /** Marks item `id` to be asked about at every read (`on`), or not. */
  setItemAlwaysAsk: (id: number, on: boolean) => invoke<ItemInfo>("set_item_always_ask", { id, on }),
  /** Every remote; works locked. */
  listRemotes: () => invoke<Array<RemoteInfo>>("list_remotes"),
  /** Tests a new remote's key before it is added: what it can and cannot do. */
  checkNewRemote: (remote: NewRemote, token: string) => invoke<Check>("check_new_remote", { remote, token }),
  /** Tests a replacement key for `name` before it is stored. */
  checkNewToken: (name: string, token: string) => invoke<Check>("check_new_token", { name, token }),
  /** Adds a remote: its token encrypted to the vault's key, its row tagged (needs the key). */
  addRemote: (remote: NewRemote, token: string) => invoke<RemoteInfo>("add_remote", { remote, token }),
  /** Replaces a remote's API key (revoked, expired or rotated), keeping its sync state; `expires` is the new key's expiry (YYYY-MM-DD) or empty. */
  replaceRemoteToken: (name: string, token: string, expires: string) => invoke<RemoteInfo>("replace_remote_token", { name, token, expires }),
  /** A box ticked or unticked in the checklist: the draft rules with the smallest change that chooses `name` or leaves it out (core's `Selection::with`: its exact name added or dropped), previewed, not saved. */
  tickSelection: (remote: string, draft: Selection, name: string, chosen: boolean) => invoke<SelectionView>("tick_selection", { remote, draft, name, chosen }),
  /** What syncs to `remote`; with `draft`, what those rules would choose instead (nothing is saved: the preview as the user types). */
  remoteSelection: (remote: string, draft: Selection | null) => invoke<SelectionView>("remote_selection", { remote, draft }),
  /** Saves what syncs to `remote` from now on. */
  saveSelection: (remote: string, selection: Selection) => invoke<SelectionView>("save_selection", { remote, selection }),
  /** Each remote, and whether secret `name` goes there. */
  secretRemotes: (name: string) => invoke<Array<SecretRemote>>("secret_remotes", { name }),
  /** Sends secret `name` to `remote` from now on, or stops sending it. */
  chooseRemote: (name: string, remote: string, chosen: boolean) => invoke<Array<SecretRemote>>("choose_remote", { name, remote, chosen }),
  /** Calls the remote with its token: reachable, the token accepted, and whether it may write (`remote::check`, which changes nothing). */
  testRemote: (name: string) => invoke<Check>("test_remote", { name }),
  /** Forgets the remote and its sync state; nothing on the remote changes. */
  removeRemote: (name: string) => invoke<void>("remove_remote", { name }),
  /** The remotes whose sync needs the user's yes first (a first sync that sends, names new to this vault), for the window to ask about before `sync_remotes` (lists each remote; changes nothing). */
  previewSync: (remote: string | null, pull: boolean, prune: boolean) => invoke<Array<Preview>>("preview_sync", { remote, pull, prune }),
  /** Syncs with `remote`, or with every remote; progress as `SYNC_PROGRESS` events. A pull creates only the new names in `accept_new` (the ones the user ticked in the preview). */
  syncRemotes: (remote: string | null, prune: boolean, pull: boolean, acceptNew: Array<string>) => invoke<Array<SyncSummary>>("sync_remotes", { remote, prune, pull, acceptNew }),
  /** Each secret's standing with each remote, from the last sync; locked, only with "Show names while locked". */
  syncOverview: () => invoke<Array<SyncMark>>("sync_overview"),
  /** Open conflicts; locked, only with "Show names while locked". */
  listConflicts: () => invoke<Array<ConflictInfo>>("list_conflicts"),
  /** Settles a conflict by keeping one side, now (calls the remote). Keeping the side of a remote that cannot send values back needs `accept_unreadable`, which marks this device's copy out of date. */
  resolveConflict: (name: string, remote: string, keep: Keep, acceptUnreadable: boolean) => invoke<void>("resolve_conflict", { name, remote, keep, acceptUnreadable }),
  /** Settles every open conflict (with `remote`'s only, if given) by keeping one side; a summary per remote says what settled and what did not. */
  resolveAll: (remote: string | null, keep: Keep) => invoke<Array<SyncSummary>>("resolve_all", { remote, keep }),
  /** Each remote's last sync, queued writes, conflicts, last failure and next pass. */
  syncStatus: () => invoke<Array<PassView>>("sync_status"),
  /** The status bar's line: "Synced 2 min ago · 3 changes waiting (rt unreachable) · 1 conflict" (core's `summary_line`); `None` without remotes. Remote names and counts only, so it shows locked too. */
  syncLine: () => invoke<string | null>("sync_line"),
  /** Metadata of every live secret; locked, only with "Show names while locked". */
  listSecrets: () => invoke<Array<SecretMeta>>("list_secrets"),
  /** The main list's rows in view, searched and paged in core (listing.rs), so the window never holds the whole vault's metadata; locked, only with "Show names while locked". */
  listPage: (request: ListRequest) => invoke<ListPage>("list_page", { request }),
  /** Its versions (dates and origins, never a value); locked, only with "Show names while locked". */
  secretHistory: (name: string) => invoke<Array<VersionMeta>>("secret_history", { name }),
  /** The value, for the user who asked to see it. */
  revealSecret: (name: string) => invoke<string>("reveal_secret", { name }),
  /** Copies the value from Rust; returns the seconds until it is cleared. */
  copySecret: (name: string) => invoke<number>("copy_secret", { name }),
  /** Puts the secret's reference (`keyhaven:NAME`) on the clipboard, as text made here from a checked name. A reference is not a secret: no password hint, no clearing, and it works locked. */
  copyReference: (name: string) => invoke<string>("copy_reference", { name }),
  addSecret: (secret: NewSecret, value: string) => invoke<SecretMeta>("add_secret", { secret, value }),
  /** A new version: the value typed (a generated one comes from [`generate_value`] first, so the user sees it before it is saved). A rotation reminder that had come moves 90 days ahead (core's `rotate_with`). */
  rotateSecret: (name: string, value: string) => invoke<SecretMeta>("rotate_secret", { name, value }),
  /** A fresh random value of `length` characters (core's generator), for a form to show before it is saved: never a stored value. */
  generateValue: (length: number) => invoke<string>("generate_value", { length }),
  /** The edit form's Save: every field as the form shows it, the name too. A new name renames the secret (core's `rename`: every version moves, the old name stays as a tombstone); changed fields are written without a new version. */
  editSecret: (name: string, secret: NewSecret) => invoke<SecretMeta>("edit_secret", { name, secret }),
  rollbackSecret: (name: string, version: number) => invoke<SecretMeta>("rollback_secret", { name, version }),
  removeSecret: (name: string) => invoke<void>("remove_secret", { name }),
  /** Pins or unpins a secret (the tray offers pinned ones). The pin is part of the secret's tagged row, so this needs the key. */
  setPinned: (name: string, pinned: boolean) => invoke<SecretMeta>("set_pinned", { name, pinned }),
  /** The saved settings; "start at login" as the desktop's autostart entry says (the user may have removed it elsewhere). */
  getSettings: () => invoke<Settings>("get_settings"),
  /** Registers the new shortcut first: one that cannot be had (another app holds it) is refused before anything is saved. */
  saveSettings: (settings: Settings) => invoke<Settings>("save_settings", { settings }),
  vaultState: () => invoke<VaultState>("vault_state"),
  /** Settings' "Change passphrase": the current one is asked again (an unlocked window is not proof of knowing it), the new one must pass the same strength rule as a new vault's. With `rekey`, every value and remote token is re-encrypted to a new key too, as `keyhaven passwd --rekey`. Says what was done, in a sentence. */
  changePassphrase: (current: string, replacement: string, allowWeak: boolean, rekey: boolean) => invoke<string>("change_passphrase", { current, replacement, allowWeak, rekey }),
  /** How strong a new passphrase is, as the user types it (core's rule, zxcvbn). */
  passphraseStrength: (passphrase: string) => invoke<Strength>("passphrase_strength", { passphrase }),
  /** A weak passphrase is refused unless the user chose "use it anyway". */
  createVault: (passphrase: string, remember: boolean, allowWeak: boolean) => invoke<string | null>("create_vault", { passphrase, remember, allowWeak }),
  /** With `passphrase`; without one, with the key remembered on this device. A sentence for the window when the key was to be remembered and could not be (the vault is unlocked all the same). */
  unlock: (passphrase: string | null, remember: boolean) => invoke<string | null>("unlock", { passphrase, remember }),
  lock: () => invoke<void>("lock"),
  /** The user is active in the window (the UI sends this at most every few seconds). */
  noteActivity: () => invoke<void>("note_activity"),
  /** The newest audit entries (what was done, when; never a value); locked, only with "Show names while locked". */
  auditLog: (limit: number) => invoke<Array<AuditEntry>>("audit_log", { limit }),
  /** "Remember on this device": keeps the vault's key in the OS keyring (needs the vault unlocked), or removes it from there. */
  setRemember: (remember: boolean) => invoke<void>("set_remember", { remember }),
};
