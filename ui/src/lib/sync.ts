// How a sync's outcome reads, in one sentence (core's `SyncReport::sentence`).
import type { SyncSummary } from "./bindings/SyncSummary";

export function describeSync(result: SyncSummary): string {
  if (result.error) return `Did not sync: ${result.error}`;
  const sentence = result.sentence.charAt(0).toUpperCase() + result.sentence.slice(1);
  return result.nothing_chosen ? `${sentence}: choose with Remotes → Choose secrets….` : `${sentence}.`;
}
