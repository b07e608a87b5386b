// Keyboard focus for content that replaces what had it: an inline
// confirmation's buttons replace the button that asked, and focus would
// otherwise fall back to the page.

/** Focuses the element when it appears, if `when` holds. */
export function focusWhen(node: HTMLElement, when = true) {
  if (when) node.focus();
}
