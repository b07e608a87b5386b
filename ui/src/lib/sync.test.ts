import { describe, expect, it } from "vitest";
import type { SyncSummary } from "./bindings/SyncSummary";
import { describeSync } from "./sync";

const base: SyncSummary = {
  remote: "prod",
  listed: 2,
  listing_complete: true,
  offline: null,
  error: null,
  warnings: [],
  counts: [],
  open: [],
};

describe("describeSync", () => {
  it("says what was done and what needs a look", () => {
    expect(describeSync(base)).toBe("Listed 2. Already in sync.");
    expect(describeSync({ ...base, counts: [{ label: "create", count: 2 }] })).toBe(
      "Listed 2. Did: 2 create.",
    );
    const conflict = { name: "A", what: "conflict", error: null };
    expect(describeSync({ ...base, open: [conflict] })).toBe("Listed 2. 1 needs a look:");
    expect(
      describeSync({ ...base, counts: [{ label: "update", count: 1 }], open: [conflict, conflict] }),
    ).toBe("Listed 2. Did: 1 update. 2 need a look:");
  });

  it("says why a remote did not sync", () => {
    const refused = { ...base, error: "remote prod refused its API key (HTTP 401)" };
    expect(describeSync(refused)).toBe("Did not sync: remote prod refused its API key (HTTP 401)");
  });
});
