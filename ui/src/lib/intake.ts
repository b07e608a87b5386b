// The intake form's logic, apart from the screen: what Submit sends, what is
// still missing, and how statuses and next steps read.
import type { Destination, IntakeForm, ManifestItem } from "./api";

/** An item's status as a person reads it (the API's are snake_case words). */
export function statusLabel(status: string): string {
  return status.replaceAll("_", " ");
}

export function itemLabel(item: ManifestItem): string {
  return item.displayName?.trim() || item.secretKey;
}

/** Items the user can still fill: everything not yet configured. */
export function openItems(form: IntakeForm): ManifestItem[] {
  return form.manifest.items.filter((item) => item.status !== "configured");
}

export interface Submission {
  /** Item ids Rust fills from the vault; their values never reach the window. */
  fromVault: string[];
  /** Item id → what the user typed (blank fields left out). */
  typed: Record<string, string>;
  count: number;
  /** Required items that would still be empty. */
  requiredLeft: string[];
}

/** What Submit sends, from the user's choices. */
export function submission(
  form: IntakeForm,
  useVault: Record<string, boolean>,
  typed: Record<string, string | undefined>,
): Submission {
  const fromVault: string[] = [];
  const values: Record<string, string> = {};
  const requiredLeft: string[] = [];
  for (const item of openItems(form)) {
    const value = typed[item.itemId] ?? "";
    if (useVault[item.itemId] && form.in_vault.includes(item.itemId)) fromVault.push(item.itemId);
    else if (value !== "") values[item.itemId] = value;
    else if (item.required) requiredLeft.push(itemLabel(item));
  }
  return { fromVault, typed: values, count: fromVault.length + Object.keys(values).length, requiredLeft };
}

function host(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** "Return to app.runtype.com", "Continue at …". */
export function destinationLabel(destination: Destination): string {
  return `${destination.next === "return" ? "Return to" : "Continue at"} ${host(destination.url)}`;
}

/** Keys as a person types them: commas, spaces or lines between; each once. */
export function parseKeys(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}
