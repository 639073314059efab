// Child processes the benches start and kill (nats-server nodes, `snapflow up`).
import type { ChildProcess } from "node:child_process";

/** Resolves once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
