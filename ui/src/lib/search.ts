// What the list's search and badges share. The search itself runs in Rust
// (core's listing.rs, through `list_page`): the window holds only the rows in
// view, never the whole vault's metadata.
import type { ListFilter } from "./bindings/ListFilter";
import type { SecretMeta } from "./bindings/SecretMeta";
import type { SyncState } from "./bindings/SyncState";

export const noFilter: ListFilter = { query: "", category: "", due_only: false, remote: "", sync: null };

/** The rotation reminder has come (dates are YYYY-MM-DD, so strings compare). */
export function isDue(meta: SecretMeta | null, today: string): boolean {
  return meta !== null && meta.rotate_by !== null && meta.rotate_by <= today;
}

/** How each sync state reads in the list and the filter. */
export const syncLabels: Record<SyncState, string> = {
  synced: "synced",
  pending: "pending",
  conflict: "conflict",
  remote_only: "remote only",
  remote_changed: "changed remotely",
};

export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
