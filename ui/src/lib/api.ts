// Typed calls into the Tauri commands (src-tauri/src/commands.rs). The types
// come from Rust via ts-rs (./bindings, checked fresh by `cargo test`).
import { invoke } from "@tauri-apps/api/core";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { CommandError } from "./bindings/CommandError";
import type { NewSecret } from "./bindings/NewSecret";
import type { SecretMeta } from "./bindings/SecretMeta";
import type { VaultState } from "./bindings/VaultState";
import type { VersionMeta } from "./bindings/VersionMeta";

export type { AuditEntry, CommandError, NewSecret, SecretMeta, VaultState, VersionMeta };

/** Emitted by the app when the vault was locked outside the UI (tray, idle). */
export const VAULT_CHANGED = "vault-changed";

export const api = {
  vaultState: () => invoke<VaultState>("vault_state"),
  createVault: (passphrase: string, remember: boolean) =>
    invoke<void>("create_vault", { passphrase, remember }),
  /** Without a passphrase: with the key remembered on this device. */
  unlock: (passphrase: string | null, remember: boolean) => invoke<void>("unlock", { passphrase, remember }),
  lock: () => invoke<void>("lock"),
  /** The user is active: restarts the idle timer. */
  noteActivity: () => invoke<void>("note_activity"),
  listSecrets: () => invoke<SecretMeta[]>("list_secrets"),
  history: (name: string) => invoke<VersionMeta[]>("secret_history", { name }),
  /** The newest entries of the audit log, oldest first. */
  auditLog: (limit: number) => invoke<AuditEntry[]>("audit_log", { limit }),
  reveal: (name: string) => invoke<string>("reveal_secret", { name }),
  /** Copies in Rust; resolves to the seconds until the clipboard is cleared. */
  copy: (name: string) => invoke<number>("copy_secret", { name }),
  add: (secret: NewSecret, value: string) => invoke<SecretMeta>("add_secret", { secret, value }),
  rotate: (name: string, value: string | null, generate: number | null) =>
    invoke<SecretMeta>("rotate_secret", { name, value, generate }),
  rollback: (name: string, version: number) => invoke<SecretMeta>("rollback_secret", { name, version }),
  remove: (name: string) => invoke<void>("remove_secret", { name }),
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
