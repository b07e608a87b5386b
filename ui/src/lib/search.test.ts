import { describe, expect, it } from "vitest";
import type { SecretMeta } from "./bindings/SecretMeta";
import type { SyncMark } from "./bindings/SyncMark";
import {
  buildIndex,
  buildItems,
  categories,
  filterSecrets,
  isDue,
  noFilter,
  today,
  type Filter,
} from "./search";

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
    pinned: false,
    ...extra,
  };
}

const list = [
  meta("OPENAI_API_KEY", { category: "provider", description: "Production key" }),
  meta("DB_PASSWORD", { category: "database", rotate_by: "2026-01-01" }),
  meta("GITHUB_TOKEN", { category: "provider", rotate_by: "2027-06-01" }),
];
const marks: SyncMark[] = [
  { remote: "prod", name: "DB_PASSWORD", state: "conflict" },
  { remote: "prod", name: "OPENAI_API_KEY", state: "synced" },
  { remote: "prod", name: "THEIRS_ONLY", state: "remote_only" },
  { remote: "staging", name: "OPENAI_API_KEY", state: "pending" },
];
const index = buildIndex(buildItems(list, marks));
const names = (filter: Partial<Filter>) =>
  filterSecrets(index, { ...noFilter, ...filter }, "2026-11-23").map((item) => item.name);

describe("buildItems", () => {
  it("merges local secrets and remote-only names, sorted, each with its marks", () => {
    const items = buildItems(list, marks);
    expect(items.map((item) => item.name)).toEqual([
      "DB_PASSWORD",
      "GITHUB_TOKEN",
      "OPENAI_API_KEY",
      "THEIRS_ONLY",
    ]);
    expect(items[2].marks.map((mark) => mark.remote)).toEqual(["prod", "staging"]);
    expect(items[3].meta).toBeNull();
  });
});

describe("filterSecrets", () => {
  it("matches every word, in any order, ignoring case", () => {
    expect(names({})).toEqual(["DB_PASSWORD", "GITHUB_TOKEN", "OPENAI_API_KEY", "THEIRS_ONLY"]);
    expect(names({ query: "key prod" })).toEqual(["OPENAI_API_KEY"]);
    expect(names({ query: "  token " })).toEqual(["GITHUB_TOKEN"]);
    expect(names({ query: "nothing" })).toEqual([]);
  });

  it("filters by category and by rotation due", () => {
    expect(names({ category: "provider" })).toEqual(["GITHUB_TOKEN", "OPENAI_API_KEY"]);
    expect(names({ dueOnly: true })).toEqual(["DB_PASSWORD"]);
  });

  it("filters by remote, by sync state, and by both on the same remote", () => {
    expect(names({ remote: "prod" })).toEqual(["DB_PASSWORD", "OPENAI_API_KEY", "THEIRS_ONLY"]);
    expect(names({ sync: "pending" })).toEqual(["OPENAI_API_KEY"]);
    expect(names({ sync: "remote_only" })).toEqual(["THEIRS_ONLY"]);
    expect(names({ remote: "prod", sync: "pending" })).toEqual([]);
    expect(names({ remote: "staging", sync: "pending" })).toEqual(["OPENAI_API_KEY"]);
  });

  it("is one pass over 10,000 secrets", () => {
    const many = buildIndex(
      buildItems(
        Array.from({ length: 10_000 }, (_, i) => meta(`SECRET_${i}`)),
        [],
      ),
    );
    expect(filterSecrets(many, { ...noFilter, query: "secret_99" }, "2026-11-23")).toHaveLength(111);
  });
});

describe("dates", () => {
  it("knows when a rotation is due", () => {
    expect(isDue(list[1], "2026-01-01")).toBe(true);
    expect(isDue(list[2], "2026-11-23")).toBe(false);
    expect(isDue(list[0], "2099-01-01")).toBe(false);
    expect(isDue(null, "2099-01-01")).toBe(false);
  });

  it("formats today as YYYY-MM-DD", () => {
    expect(today(new Date(2026, 10, 3))).toBe("2026-11-03");
  });

  it("lists categories once, sorted", () => {
    expect(categories(list)).toEqual(["database", "provider"]);
  });
});
