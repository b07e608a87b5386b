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
  sentence: "already in sync",
  nothing_chosen: false,
  key_refused: false,
};

describe("describeSync", () => {
  it("says what it came to in plain words, as core words it", () => {
    expect(describeSync(base)).toBe("Already in sync.");
    expect(describeSync({ ...base, sentence: "4 new secret(s) sent; 1 conflict(s) to settle" })).toBe(
      "4 new secret(s) sent; 1 conflict(s) to settle.",
    );
    const nothing = { ...base, sentence: "nothing is chosen to sync with it yet, so nothing was sent" };
    expect(describeSync({ ...nothing, nothing_chosen: true })).toBe(
      "Nothing is chosen to sync with it yet, so nothing was sent: choose with Remotes → Choose secrets….",
    );
  });

  it("says why a remote did not sync", () => {
    const refused = { ...base, error: "remote prod refused its API key (HTTP 401)" };
    expect(describeSync(refused)).toBe("Did not sync: remote prod refused its API key (HTTP 401)");
  });
});
