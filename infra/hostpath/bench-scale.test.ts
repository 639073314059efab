import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureDriverAtScale, SCALE_RATIO_TARGET } from "./bench-scale.js";

let scratch: string;
beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-bench-scale-test-"));
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

describe("measureDriverAtScale", () => {
  it("measures each level on its own data dir, reports consistent figures and leaves nothing behind", async () => {
    const phases: string[] = [];
    const result = await measureDriverAtScale({ dir: scratch, existing: [0, 30], calls: 12, inFlight: 4, onPhase: (p) => phases.push(p) });
    expect(phases).toEqual(["scale: 0 existing snapshots", "scale: 30 existing snapshots"]);
    expect(result).toMatchObject({ inFlight: 4, durable: true, target: SCALE_RATIO_TARGET });
    expect(result.levels.map((l) => l.existingSnapshots)).toEqual([0, 30]);
    for (const level of result.levels) {
      for (const figures of [level.createSnapshot, level.restoreFromSnapshot]) {
        expect(figures.calls).toBe(12);
        expect(figures.p50Ms).toBeGreaterThan(0);
        expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms);
        expect(figures.maxMs).toBeGreaterThanOrEqual(figures.p99Ms);
        expect(figures.cpuUsPerCall).toBeGreaterThan(0);
      }
    }
    expect(result.snapshotP50Ratio).toBeCloseTo(result.levels[1]!.createSnapshot.p50Ms / result.levels[0]!.createSnapshot.p50Ms, 2);
    expect(result.meetsTarget).toBe(result.snapshotP50Ratio <= SCALE_RATIO_TARGET);
    expect(await fs.readdir(scratch)).toEqual([]);
  });
});
