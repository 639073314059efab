import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureSnapshotVsCp, SNAPSHOT_RATIO_TARGET } from "./bench.js";

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-bench-test-"));
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

describe("measureSnapshotVsCp", () => {
  it("measures both sides on a small tree, reports consistent figures and leaves nothing behind", async () => {
    const result = await measureSnapshotVsCp({ dir: scratch, files: 20, totalBytes: 20 * 4096 + 7, rounds: 2 });
    expect(result).toMatchObject({ files: 20, bytes: 20 * 4096 + 7, rounds: 2, durable: true, target: SNAPSHOT_RATIO_TARGET });
    for (const series of [result.snapshotMs, result.cpMs, result.cpSyncMs]) {
      expect(series).toHaveLength(2);
      for (const ms of series) expect(ms).toBeGreaterThan(0);
    }
    expect(result.snapshotCpuMs).toHaveLength(2);
    for (const ms of result.snapshotCpuMs) expect(ms).toBeGreaterThan(0);
    expect(result.medianSnapshotMs).toBeCloseTo((result.snapshotMs[0]! + result.snapshotMs[1]!) / 2, 0);
    expect(result.ratio).toBeCloseTo(result.medianSnapshotMs / result.medianCpMs, 1);
    expect(result.meetsTarget).toBe(result.ratio <= SNAPSHOT_RATIO_TARGET);
    expect(typeof result.reflink).toBe("boolean");
    expect(result.filesystem).not.toBe("");
    expect(await fs.readdir(scratch)).toEqual([]);
  });
});
