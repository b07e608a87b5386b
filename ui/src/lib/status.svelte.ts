// What a screen's last action said: its error or its notice, and whether one
// is running. One per screen: `status.run(async () => …)`.
import { errorMessage } from "./api";

export class Status {
  error = $state("");
  notice = $state("");
  busy = $state(false);

  /** Forgets what the last action said, runs this one and keeps its error. */
  async run(action: () => Promise<unknown>): Promise<void> {
    this.error = "";
    this.notice = "";
    this.busy = true;
    try {
      await action();
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.busy = false;
    }
  }
}
