import { describe, expect, it } from "vitest";
import { Status } from "./status.svelte";

describe("Status", () => {
  it("keeps a failed action's message and forgets it on the next run", async () => {
    const status = new Status();
    await status.run(async () => {
      throw { kind: "auth", message: "wrong passphrase" };
    });
    expect(status.error).toBe("wrong passphrase");
    expect(status.busy).toBe(false);
    await status.run(async () => {
      status.notice = "Saved.";
    });
    expect([status.error, status.notice]).toEqual(["", "Saved."]);
  });
});
