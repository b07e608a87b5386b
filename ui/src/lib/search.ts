// Search-as-you-type over secret metadata. The lower-cased text of each secret
// is built once per list, so a keystroke over 10,000 secrets is one pass of
// `includes` checks.
import type { SecretMeta } from "./bindings/SecretMeta";

export interface Indexed {
  meta: SecretMeta;
  text: string;
}

export interface Filter {
  query: string;
  category: string;
  dueOnly: boolean;
}

export const noFilter: Filter = { query: "", category: "", dueOnly: false };

export function buildIndex(list: SecretMeta[]): Indexed[] {
  return list.map((meta) => ({
    meta,
    text: `${meta.name}\n${meta.description}\n${meta.category}`.toLowerCase(),
  }));
}

/** The rotation reminder has come (dates are YYYY-MM-DD, so strings compare). */
export function isDue(meta: SecretMeta, today: string): boolean {
  return meta.rotate_by !== null && meta.rotate_by <= today;
}

/** Every word of the query must appear (in any order). */
export function filterSecrets(index: Indexed[], filter: Filter, today: string): SecretMeta[] {
  const words = filter.query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: SecretMeta[] = [];
  for (const { meta, text } of index) {
    if (filter.category && meta.category !== filter.category) continue;
    if (filter.dueOnly && !isDue(meta, today)) continue;
    if (words.every((word) => text.includes(word))) out.push(meta);
  }
  return out;
}

export function categories(list: SecretMeta[]): string[] {
  return [...new Set(list.map((meta) => meta.category).filter(Boolean))].sort();
}

export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
