import { describe, expect, it } from "vitest";
import { markGroups } from "./search";

describe("markGroups", () => {
  it("names the remotes of each state, once per state, leaving synced out", () => {
    const mark = (remote: string, state: "synced" | "pending" | "conflict") => ({ remote, name: "K", state });
    expect(markGroups([mark("rl", "pending"), mark("rt", "pending"), mark("tl", "synced")])).toEqual([
      { state: "pending", text: "rl, rt: pending" },
    ]);
    expect(markGroups([mark("rl", "conflict"), mark("rt", "pending")]).map((g) => g.text)).toEqual([
      "rl: conflict",
      "rt: pending",
    ]);
    expect(markGroups([mark("rl", "synced")])).toEqual([]);
  });
});
