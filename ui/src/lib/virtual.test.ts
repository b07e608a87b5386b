import { describe, expect, it } from "vitest";
import { scrollToRow, visibleWindow } from "./virtual";

describe("visibleWindow", () => {
  it("renders the rows in view plus a margin", () => {
    expect(visibleWindow(0, 400, 40, 10_000)).toEqual({ start: 0, end: 18, offset: 0, total: 400_000 });
    const middle = visibleWindow(40_000, 400, 40, 10_000);
    expect(middle.start).toBe(992);
    expect(middle.end).toBe(1018);
    expect(middle.offset).toBe(992 * 40);
  });

  it("stays inside short lists", () => {
    expect(visibleWindow(0, 400, 40, 3)).toEqual({ start: 0, end: 3, offset: 0, total: 120 });
    expect(visibleWindow(500, 400, 40, 0)).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });
});

describe("scrollToRow", () => {
  it("scrolls only when the row is out of view", () => {
    expect(scrollToRow(5, 0, 400, 40)).toBeNull();
    expect(scrollToRow(20, 0, 400, 40)).toBe(440);
    expect(scrollToRow(2, 400, 400, 40)).toBe(80);
  });
});
