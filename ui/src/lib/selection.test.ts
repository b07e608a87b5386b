import { describe, expect, it } from "vitest";
import { draft, names, rules } from "./selection";

describe("selection fields", () => {
  it("split on commas and spaces, dropping blanks", () => {
    expect(rules(" OPENAI_*, ANTHROPIC_KEY  GH_* ,, ")).toEqual(["OPENAI_*", "ANTHROPIC_KEY", "GH_*"]);
    expect(rules("")).toEqual([]);
    expect(draft("A_*", "provider", "*_PERSONAL")).toEqual({
      include: ["A_*"],
      categories: ["provider"],
      exclude: ["*_PERSONAL"],
    });
  });

  it("name a long list briefly", () => {
    expect(names([])).toBe("none");
    expect(names(["A", "B"])).toBe("A, B");
    expect(names(["A", "B", "C"], 2)).toBe("A, B and 1 more");
  });
});
