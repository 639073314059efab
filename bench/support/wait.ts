// Polls a condition until it holds; a run that never gets there fails with what it waited for
// instead of hanging.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Poll interval (default 100 ms). Short for measured phases, longer where polling would load the API under test. */
  everyMs?: number;
  /** Prefix of the error message (which bench gave up). */
  label?: string;
}

export async function waitUntil(what: string, check: () => Promise<boolean>, limitMs: number, o: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${o.label ? `${o.label}: ` : ""}gave up waiting for ${what} after ${Math.round(limitMs / 1000)} s`);
    await sleep(o.everyMs ?? 100);
  }
}
