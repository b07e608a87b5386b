// What the list's search and badges share. The search itself runs in Rust
// (core's listing.rs, through `list_page`): the window holds only the rows in
// view, never the whole vault's metadata.
import type { ListFilter } from "./bindings/ListFilter";
import type { SyncMark } from "./bindings/SyncMark";
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

/** A row's badges: one per state, naming the remotes in it ("rl, rt: pending"),
 *  in the order the states first appear; "synced" is left out. */
export function markGroups(marks: SyncMark[]): { state: SyncState; text: string }[] {
  const groups = new Map<SyncState, string[]>();
  for (const mark of marks) {
    if (mark.state === "synced") continue;
    groups.set(mark.state, [...(groups.get(mark.state) ?? []), mark.remote]);
  }
  return [...groups].map(([state, remotes]) => ({
    state,
    text: `${remotes.join(", ")}: ${syncLabels[state]}`,
  }));
}
