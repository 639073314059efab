// `snapflow bench --scale` run tiny (bench/scale.ts): the harness stores ready snapshots through the
// real pipeline, measures both phases and cleans up. Figures are not asserted (benchmarks measure
// speed), only that every key is there and nothing is left behind.
import { describe, expect, it } from "vitest";
import { runScaleBench } from "../bench/scale.js";

describe("bench --scale, tiny", () => {
  it("stores 50 ready snapshots, measures empty and scaled latency, deletes everything", async () => {
    const phases: string[] = [];
    const result = await runScaleBench({ stored: 50, samples: 2, burst: 2, onPhase: (what) => phases.push(what) });
    expect(result, phases.join("\n")).toMatchObject({ stored: 50, samples: 2, burst: 2, leftovers: { snapshots: 0, contents: 0, backendSnapshots: 0 } });
    for (const key of ["emptyP50Ms", "emptyP99Ms", "scaledP50Ms", "scaledP99Ms", "burstEmptyP50Ms", "burstEmptyP99Ms", "burstScaledP50Ms", "burstScaledP99Ms"] as const) {
      expect(result[key], key).toBeGreaterThan(0);
    }
    for (const key of ["ratioP50", "ratioP99", "burstRatioP50", "burstRatioP99", "setupSeconds"] as const) {
      expect(result[key], key).toBeGreaterThan(0);
    }
    expect(Object.keys(result.peakRssMb)).toContain("nats-server");
    expect(Object.values(result.peakRssMb).every((mb) => mb > 0)).toBe(true);
    expect(result.deliveriesPerSnapshot.scaled.bind).toBeGreaterThan(0);
  }, 240_000);

  it("refuses a count that is not a positive integer", async () => {
    await expect(runScaleBench({ samples: 0 })).rejects.toThrow("--samples must be a positive integer, got 0");
    await expect(runScaleBench({ stored: -1 })).rejects.toThrow("--stored must be a non-negative integer, got -1");
  });
});
