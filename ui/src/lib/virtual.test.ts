import { describe, expect, it } from "vitest";
import { scrollToRow, wantedRows } from "./virtual";

describe("wantedRows", () => {
  it("asks for the rows in view plus a margin on each side", () => {
    expect(wantedRows(0, 400, 40)).toEqual({ start: 0, count: 18 });
    expect(wantedRows(40_000, 400, 40)).toEqual({ start: 992, count: 26 });
  });

  it("never starts before the first row", () => {
    expect(wantedRows(-50, 400, 40)).toEqual({ start: 0, count: 18 });
    expect(wantedRows(80, 0, 40)).toEqual({ start: 0, count: 10 });
  });
});

describe("scrollToRow", () => {
  it("scrolls only when the row is out of view", () => {
    expect(scrollToRow(5, 0, 400, 40)).toBeNull();
    expect(scrollToRow(20, 0, 400, 40)).toBe(440);
    expect(scrollToRow(2, 400, 400, 40)).toBe(80);
  });
});
