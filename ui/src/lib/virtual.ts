// Which rows of a long list to render: only those in view, plus a margin.

export interface Window {
  start: number;
  end: number;
  /** Space above the first rendered row. */
  offset: number;
  /** Height of the whole list. */
  total: number;
}

export function visibleWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan = 8,
): Window {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, first + Math.ceil(viewport / rowHeight) + overscan);
  return { start, end: Math.max(start, end), offset: start * rowHeight, total: count * rowHeight };
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
