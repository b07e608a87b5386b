// A remote's selection rules as the chooser edits them: one text field per
// kind of rule, comma- or space-separated.
import type { Selection } from "./bindings/Selection";

/** The rules in `text`, in order, without blanks. */
export function rules(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((rule) => rule.trim())
    .filter((rule) => rule.length > 0);
}

/** The selection the three fields describe. */
export function draft(include: string, categories: string, exclude: string): Selection {
  return { include: rules(include), categories: rules(categories), exclude: rules(exclude) };
}

/** "A, B and 3 more" for a list that may be long. */
export function names(list: string[], shown = 12): string {
  if (list.length === 0) return "none";
  const head = list.slice(0, shown).join(", ");
  return list.length > shown ? `${head} and ${list.length - shown} more` : head;
}
