import { describe, expect, it } from "vitest";
import type { SecretMeta } from "./bindings/SecretMeta";
import { buildIndex, categories, filterSecrets, isDue, noFilter, today } from "./search";

function meta(name: string, extra: Partial<SecretMeta> = {}): SecretMeta {
  return {
    name,
    description: "",
    category: "",
    created: "2026-01-01T00:00:00Z",
    updated: "2026-01-01T00:00:00Z",
    version: 1,
    rotate_by: null,
    deleted: null,
    ...extra,
  };
}

const list = [
  meta("OPENAI_API_KEY", { category: "provider", description: "Production key" }),
  meta("DB_PASSWORD", { category: "database", rotate_by: "2026-01-01" }),
  meta("GITHUB_TOKEN", { category: "provider", rotate_by: "2027-06-01" }),
];
const index = buildIndex(list);

describe("filterSecrets", () => {
  it("matches every word, in any order, ignoring case", () => {
    const names = (query: string) =>
      filterSecrets(index, { ...noFilter, query }, "2026-11-23").map((m) => m.name);
    expect(names("")).toEqual(["OPENAI_API_KEY", "DB_PASSWORD", "GITHUB_TOKEN"]);
    expect(names("key prod")).toEqual(["OPENAI_API_KEY"]);
    expect(names("  token ")).toEqual(["GITHUB_TOKEN"]);
    expect(names("nothing")).toEqual([]);
  });

  it("filters by category and by rotation due", () => {
    const provider = filterSecrets(index, { ...noFilter, category: "provider" }, "2026-11-23");
    expect(provider.map((m) => m.name)).toEqual(["OPENAI_API_KEY", "GITHUB_TOKEN"]);
    const due = filterSecrets(index, { ...noFilter, dueOnly: true }, "2026-11-23");
    expect(due.map((m) => m.name)).toEqual(["DB_PASSWORD"]);
  });

  it("is one pass over 10,000 secrets", () => {
    const many = buildIndex(Array.from({ length: 10_000 }, (_, i) => meta(`SECRET_${i}`)));
    expect(filterSecrets(many, { ...noFilter, query: "secret_99" }, "2026-11-23")).toHaveLength(111);
  });
});

describe("dates", () => {
  it("knows when a rotation is due", () => {
    expect(isDue(list[1], "2026-01-01")).toBe(true);
    expect(isDue(list[2], "2026-11-23")).toBe(false);
    expect(isDue(list[0], "2099-01-01")).toBe(false);
  });

  it("formats today as YYYY-MM-DD", () => {
    expect(today(new Date(2026, 10, 3))).toBe("2026-11-03");
  });

  it("lists categories once, sorted", () => {
    expect(categories(list)).toEqual(["database", "provider"]);
  });
});
