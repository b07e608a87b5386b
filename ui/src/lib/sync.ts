// How a sync's outcome reads, in one sentence.
import type { SyncSummary } from "./bindings/SyncSummary";

export function describeSync(result: SyncSummary): string {
  if (result.error) return `Did not sync: ${result.error}`;
  const parts = [`Listed ${result.listed}.`];
  if (result.counts.length) {
    parts.push(`Did: ${result.counts.map((c) => `${c.count} ${c.label}`).join(", ")}.`);
  }
  const open = result.open.length;
  if (open) parts.push(`${open} need${open === 1 ? "s" : ""} a look:`);
  else if (!result.counts.length) parts.push("Already in sync.");
  return parts.join(" ");
}
