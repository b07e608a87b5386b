import { describe, expect, it } from "vitest";
import type { IntakeForm, ManifestItem } from "./api";
import { destinationLabel, parseKeys, statusLabel, submission } from "./intake";

function item(itemId: string, status: string, extra: Partial<ManifestItem> = {}): ManifestItem {
  return {
    itemId,
    secretKey: itemId.toUpperCase(),
    status,
    secretId: null,
    displayName: null,
    description: null,
    required: null,
    placeholder: null,
    helpText: null,
    docsUrl: null,
    version: null,
    ...extra,
  };
}

const form: IntakeForm = {
  manifest: {
    source: { type: "manual", key: "onboarding" },
    title: "Connect",
    description: null,
    items: [
      item("openai", "needs_configuration", { required: true }),
      item("db", "needs_configuration", { required: true, displayName: "Database" }),
      item("stripe", "invalid"),
      item("done", "configured", { required: true }),
    ],
    configurationStatus: "needs_configuration",
    pendingConfigurationCount: 3,
    returnUrl: null,
    handoff: null,
  },
  in_vault: ["openai", "stripe"],
  next: [],
};

describe("intake submission", () => {
  it("takes the vault's value only where the vault has one, and typed values otherwise", () => {
    const result = submission(form, { openai: true, db: true }, { db: "typed-db-value", stripe: "" });
    expect(result.fromVault).toEqual(["openai"]);
    expect(result.typed).toEqual({ db: "typed-db-value" });
    expect(result.count).toBe(2);
    expect(result.requiredLeft).toEqual([]);
  });

  it("names required items left empty and never sends configured ones", () => {
    const result = submission(form, {}, { done: "ignored-value" });
    expect(result.count).toBe(0);
    expect(result.requiredLeft).toEqual(["OPENAI", "Database"]);
  });
});

describe("intake wording", () => {
  it("reads statuses, destinations and typed keys as a person would", () => {
    expect(statusLabel("needs_configuration")).toBe("needs configuration");
    expect(
      destinationLabel({ next: "return", url: "https://app.runtype.com/x", openable: true, expired: null }),
    ).toBe("Return to app.runtype.com");
    expect(destinationLabel({ next: "handoff", url: "not a url", openable: false, expired: null })).toBe(
      "Continue at not a url",
    );
    expect(parseKeys(" A, B\nC  A,,")).toEqual(["A", "B", "C"]);
  });
});
