// Polls a condition until it holds; fails with a description instead of hanging when it never does.
import { setTimeout as sleep } from "node:timers/promises";

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await sleep(20);
  }
}
