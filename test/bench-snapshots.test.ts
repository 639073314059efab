// `snapflow bench --snapshots` run tiny (bench/snapshots.ts): every key of the JSON is there,
// the write counts are the pipeline's own, the floor is measured in rounds, and the teardown leaves
// nothing behind. Figures are not asserted (benchmarks measure speed).
import { describe, expect, it } from "vitest";
import { runSnapshotBench, UPSTREAM_WRITES_PER_SNAPSHOT } from "../bench/snapshots.js";

describe("bench --snapshots, tiny", () => {
  it("cuts 20 snapshots through the pipeline, counts its writes, measures the floor and deletes everything", async () => {
    const result = await runSnapshotBench({ snapshots: 20 });
    expect(result).toMatchObject({ snapshots: 20, upstreamWritesPerSnapshot: UPSTREAM_WRITES_PER_SNAPSHOT, leftovers: { contents: 0, backendSnapshots: 0, pvcFinalizers: 0 } });
    for (const key of ["seconds", "perSecond", "p50Ms", "p99Ms", "maxMs", "floorSeconds", "ratioToFloor", "readWriteFloorSeconds", "deleteSeconds"] as const) {
      expect(result[key], key).toBeGreaterThan(0);
    }
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    // Every write is the pipeline's: snapshot objects and Events, never more than upstream makes.
    expect(result.apiWritesBreakdown.events).toBeGreaterThan(0);
    expect(result.apiWritesPerSnapshot).toBe(result.apiWritesBreakdown.objects + result.apiWritesBreakdown.events);
    expect(result.apiWritesPerSnapshot).toBeLessThanOrEqual(UPSTREAM_WRITES_PER_SNAPSHOT.total);
    // The floor is the median of its rounds.
    expect(result.floorRoundsSeconds).toHaveLength(3);
    expect([...result.floorRoundsSeconds].sort((a, b) => a - b)[1]).toBe(result.floorSeconds);
    expect(result.readWriteFloorRoundsSeconds).toHaveLength(3);
    expect([...result.readWriteFloorRoundsSeconds].sort((a, b) => a - b)[1]).toBe(result.readWriteFloorSeconds);
    expect(result.deliveriesPerSnapshot.bind).toBeGreaterThan(0);
    expect(Object.keys(result.cpuMsPerSnapshot)).toEqual(expect.arrayContaining(["main", "worker", "nats"]));
    expect(Object.values(result.peakRssMb).every((mb) => mb > 0)).toBe(true);
  }, 240_000);

  it("refuses a count that is not a positive integer", async () => {
    await expect(runSnapshotBench({ snapshots: 0 })).rejects.toThrow("--snapshots must be a positive integer, got 0");
  });
});
