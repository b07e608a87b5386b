// Search-as-you-type over secret metadata and sync marks. The lower-cased text
// of each secret is built once per list, so a keystroke over 10,000 secrets is
// one pass of `includes` checks.
import type { SecretMeta } from "./bindings/SecretMeta";
import type { SyncMark } from "./bindings/SyncMark";
import type { SyncState } from "./bindings/SyncState";

/** One row of the list: a local secret, or a name only a remote holds. */
export interface Item {
  name: string;
  /** `null` for a name known only from a remote (value not on this device). */
  meta: SecretMeta | null;
  marks: SyncMark[];
}

export interface Indexed {
  item: Item;
  text: string;
}

export interface Filter {
  query: string;
  category: string;
  dueOnly: boolean;
  /** Only secrets known to this remote ("" = any). */
  remote: string;
  /** Only secrets in this state with the remote (or any remote) ("" = any). */
  sync: SyncState | "";
}

export const noFilter: Filter = { query: "", category: "", dueOnly: false, remote: "", sync: "" };

/** Local secrets with their marks, and remote-only names, by name. */
export function buildItems(list: SecretMeta[], marks: SyncMark[]): Item[] {
  const byName = new Map<string, Item>(list.map((meta) => [meta.name, { name: meta.name, meta, marks: [] }]));
  for (const mark of marks) {
    let item = byName.get(mark.name);
    if (!item) {
      item = { name: mark.name, meta: null, marks: [] };
      byName.set(mark.name, item);
    }
    item.marks.push(mark);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function buildIndex(items: Item[]): Indexed[] {
  return items.map((item) => ({
    item,
    text: `${item.name}\n${item.meta?.description ?? ""}\n${item.meta?.category ?? ""}`.toLowerCase(),
  }));
}

/** The rotation reminder has come (dates are YYYY-MM-DD, so strings compare). */
export function isDue(meta: SecretMeta | null, today: string): boolean {
  return meta !== null && meta.rotate_by !== null && meta.rotate_by <= today;
}

/** Every word of the query must appear (in any order), and every filter hold.
 *  The filter's fields are read once: in a Svelte component it is a reactive
 *  proxy, and 10,000 reads of it cost more than the search. */
export function filterSecrets(index: Indexed[], filter: Filter, today: string): Item[] {
  const { query, category, dueOnly, remote, sync } = filter;
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const syncMatches = (item: Item) =>
    item.marks.some((mark) => (!remote || mark.remote === remote) && (!sync || mark.state === sync));
  const out: Item[] = [];
  for (const { item, text } of index) {
    if (category && item.meta?.category !== category) continue;
    if (dueOnly && !isDue(item.meta, today)) continue;
    if ((remote || sync) && !syncMatches(item)) continue;
    if (words.every((word) => text.includes(word))) out.push(item);
  }
  return out;
}

export function categories(list: SecretMeta[]): string[] {
  return [...new Set(list.map((meta) => meta.category).filter(Boolean))].sort();
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
