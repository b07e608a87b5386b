// What the list's search and badges share. The search itself runs in Rust
// (core's listing.rs, through `list_page`): the window holds only the rows in
// view, never the whole vault's metadata.
import type { ListFilter } from "./bindings/ListFilter";
import type { SyncState } from "./bindings/SyncState";

export const noFilter: ListFilter = { query: "", category: "", due_only: false, remote: "", sync: null };

/** How each sync state reads in the list and the filter. */
export const syncLabels: Record<SyncState, string> = {
  synced: "synced",
  pending: "pending",
  conflict: "conflict",
  remote_only: "remote only",
  remote_changed: "changed remotely",
  revoked: "revoked there",
};
