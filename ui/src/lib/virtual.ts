// Which rows of a long list to ask for and render: only those in view, plus
// a margin, so a fast scroll finds its next rows already there.

export interface Rows {
  start: number;
  count: number;
}

/** The rows in view plus `overscan` on each side; the list's end is Rust's to apply. */
export function wantedRows(scrollTop: number, viewport: number, rowHeight: number, overscan = 8): Rows {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.max(0, first - overscan);
  return { start, count: first - start + Math.ceil(Math.max(0, viewport) / rowHeight) + overscan };
}

/** The scrollTop that brings row `index` into view, or `null` when it is. */
export function scrollToRow(
  index: number,
  scrollTop: number,
  viewport: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return null;
}
