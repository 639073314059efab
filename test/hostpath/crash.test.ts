// The journal against a real crash: a writer process is killed with SIGKILL in the middle of
// committing (and compacting), twice on the same data dir. Every change it acknowledged must be
// there after each restart, deletes included, with nothing it never asked for.
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateStore } from "../../infra/hostpath/state.js";

const WRITER = fileURLToPath(new URL("./crash-writer.ts", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-crash-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Runs the writer until it has acknowledged `acks` changes, kills it, returns every acknowledged n. */
async function runAndKill(first: number, acks: number): Promise<number[]> {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, dir, String(first)], { stdio: ["ignore", "pipe", "inherit"] });
  const acked: number[] = [];
  let buffered = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) if (line.startsWith("ack ")) acked.push(Number(line.slice(4)));
        if (acked.length >= acks) resolve();
      });
      child.once("exit", (code) => reject(new Error(`writer exited early (code ${code})`)));
    });
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  return acked;
}

function expectedAfter(acked: Set<number>, state: Readonly<{ volumes: Record<string, { capacityBytes: number }> }>): void {
  for (const n of acked) {
    const deletedBy = n + 10;
    if (deletedBy % 3 !== 0) expect(state.volumes[`vol-${n}`]?.capacityBytes, `acknowledged vol-${n}`).toBe(n);
    else if (acked.has(deletedBy)) expect(state.volumes[`vol-${n}`], `vol-${n} was deleted by an acknowledged change`).toBeUndefined();
    // else: the delete was in flight at the kill; durable or not, either outcome is allowed.
  }
}

describe("state journal under SIGKILL", () => {
  it("keeps every acknowledged change across two kills mid-run, compactions included", async () => {
    const acked = new Set<number>();
    let lastCheckpointSeq = 0;
    for (const [round, first] of [0, 1_000_000].entries()) {
      for (const n of await runAndKill(first, 400 + round * 100)) acked.add(n);
      // The writer compacted while it ran: a checkpoint newer than the previous start is on disk.
      const checkpoint = JSON.parse(await fs.readFile(path.join(dir, "state.json"), "utf8")) as { seq: number };
      expect(checkpoint.seq).toBeGreaterThan(lastCheckpointSeq);
      lastCheckpointSeq = checkpoint.seq;
      const store = await StateStore.open(dir);
      lastCheckpointSeq = store.stats.checkpointSeq;
      try {
        expectedAfter(acked, store.state);
        // Nothing appears that the writers never asked for.
        for (const id of Object.keys(store.state.volumes)) expect(id).toMatch(/^vol-\d+$/);
      } finally {
        await store.close();
      }
    }
    expect(acked.size).toBeGreaterThanOrEqual(900);
  });
});
