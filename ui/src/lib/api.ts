// The Tauri commands (src-tauri/src/commands/) and the types they use, both
// generated from Rust (./commands.ts and ./bindings, checked fresh by
// `cargo test`), with the events and error helpers the screens share.
import { commands } from "./commands";
import type { AgentStatus } from "./bindings/AgentStatus";
import type { ItemInfo } from "./bindings/ItemInfo";
import type { KeyringStatus } from "./bindings/KeyringStatus";
import type { Answer } from "./bindings/Answer";
import type { ApprovalQuestion } from "./bindings/ApprovalQuestion";
import type { Grant } from "./bindings/Grant";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { Capabilities } from "./bindings/Capabilities";
import type { Check } from "./bindings/Check";
import type { CheckResult } from "./bindings/CheckResult";
import type { CommandError } from "./bindings/CommandError";
import type { ConflictInfo } from "./bindings/ConflictInfo";
import type { Destination } from "./bindings/Destination";
import type { ExportFormat } from "./bindings/ExportFormat";
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
import type { SyncProgress } from "./bindings/SyncProgress";
import type { SyncState } from "./bindings/SyncState";
import type { SyncSummary } from "./bindings/SyncSummary";
import type { Theme } from "./bindings/Theme";
import type { VaultState } from "./bindings/VaultState";
import type { VersionMeta } from "./bindings/VersionMeta";

export type { Commands } from "./commands";
export type {
  AgentStatus,
  KeyringStatus,
  ItemInfo,
  Answer,
  ApprovalQuestion,
  Grant,
  AuditEntry,
  Capabilities,
  Check,
  CheckResult,
  CommandError,
  ConflictInfo,
  Destination,
  ExportFormat,
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
  PassView,
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
/** Emitted by the tray's "N keys due for rotation…": list those. */
export const SHOW_DUE = "show-due";
/** Emitted with an `ApprovalQuestion` when a program asks the SSH agent for a key. */
export const APPROVAL_ASKED = "approval-asked";
/** Emitted with a question's id once it is answered or has timed out. */
export const APPROVAL_CLOSED = "approval-closed";

/** The Rust commands, generated from their signatures (./commands.ts). */
export const api = commands;

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
