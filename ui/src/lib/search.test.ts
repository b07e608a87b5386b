import { describe, expect, it } from "vitest";
import type { SecretMeta } from "./bindings/SecretMeta";
import { isDue, today } from "./search";

function meta(rotate_by: string | null): SecretMeta {
  return {
    name: "DB_PASSWORD",
    description: "",
    category: "",
    created: "2026-01-01T00:00:00Z",
    updated: "2026-01-01T00:00:00Z",
    version: 1,
    rotate_by,
    deleted: null,
    pinned: false,
  };
}

describe("dates", () => {
  it("knows when a rotation is due", () => {
    expect(isDue(meta("2026-01-01"), "2026-01-01")).toBe(true);
    expect(isDue(meta("2027-06-01"), "2026-11-23")).toBe(false);
    expect(isDue(meta(null), "2099-01-01")).toBe(false);
    expect(isDue(null, "2099-01-01")).toBe(false);
  });

  it("formats today as YYYY-MM-DD", () => {
    expect(today(new Date(2026, 10, 3))).toBe("2026-11-03");
  });
});
