import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../../shared/gateway/types.js";
import { DEFAULT_RETRY, type RetrySettings } from "./config.js";
import { backoffDelay, withRetry } from "./retry.js";
import { ec2Error, ManualClock } from "./testing.js";

const settings: RetrySettings = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, budgetMs: 60_000, snapshotIntervalMs: 15_000 };

describe("backoffDelay (full jitter)", () => {
  it("stays within [floor, floor + min(max, base·2^n)) for every retry and every draw", () => {
    for (let retry = 0; retry < 8; retry++) {
      const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retry);
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const d = backoffDelay(retry, settings, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
        const floored = backoffDelay(retry, settings, () => r, 15_000);
        expect(floored).toBeGreaterThanOrEqual(15_000);
        expect(floored).toBeLessThan(15_000 + ceiling);
      }
    }
  });

  it("spreads real random draws over the whole window instead of one value", () => {
    const draws = Array.from({ length: 400 }, () => backoffDelay(3, settings, Math.random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(800);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });
});

describe("withRetry", () => {
  it("retries throttling, sleeping a jittered, growing delay, then returns the result", async () => {
    const clock = new ManualClock([0.5, 0.5, 0.5]);
    let calls = 0;
    const out = await withRetry(
      "DescribeSnapshots",
      async () => {
        calls++;
        if (calls < 4) throw ec2Error("RequestLimitExceeded");
        return "ok";
      },
      settings,
      clock,
    );
    expect(out).toBe("ok");
    expect(calls).toBe(4);
    expect(clock.sleeps).toEqual([50, 100, 200]);
  });

  it("gives up after maxAttempts with RESOURCE_EXHAUSTED, retryable", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const err = await withRetry("CreateSnapshot", async () => {
      calls++;
      throw ec2Error("ConcurrentSnapshotLimitExceeded", "Maximum concurrent snapshots reached");
    }, settings, clock).catch((e: unknown) => e);
    expect(calls).toBe(5);
    expect(clock.sleeps).toHaveLength(4);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: "RESOURCE_EXHAUSTED", retryable: true });
    expect((err as Error).message).toContain("after 5 attempts");
  });

  it("waits at least EC2's 15 s per-volume interval after SnapshotCreationPerVolumeRateExceeded", async () => {
    const clock = new ManualClock([0, 0.9]);
    let calls = 0;
    await withRetry("CreateSnapshot", async () => {
      if (++calls < 3) throw ec2Error("SnapshotCreationPerVolumeRateExceeded");
      return 1;
    }, settings, clock);
    expect(clock.sleeps).toEqual([15_000, 15_000 + 180]);
  });

  it("stops retrying when the next wait would pass the time budget", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const err = await withRetry("CreateSnapshot", async () => {
      calls++;
      throw ec2Error("SnapshotCreationPerVolumeRateExceeded");
    }, { ...DEFAULT_RETRY, budgetMs: 20_000 }, clock).catch((e: unknown) => e);
    // 15 s + jitter fits once; a second would end past 20 s.
    expect(calls).toBe(2);
    expect(clock.sleeps).toHaveLength(1);
    expect(err).toMatchObject({ code: "RESOURCE_EXHAUSTED", retryable: true });
  });

  it.each([
    ["UnauthorizedOperation", "PERMISSION_DENIED"],
    ["AuthFailure", "UNAUTHENTICATED"],
    ["InvalidParameterValue", "INVALID_ARGUMENT"],
    ["InvalidVolume.NotFound", "NOT_FOUND"],
  ])("does not retry %s: one call, final %s with EC2's message", async (code, csiCode) => {
    const clock = new ManualClock();
    let calls = 0;
    const err = await withRetry("CreateVolume", async () => {
      calls++;
      throw ec2Error(code, `EC2 message for ${code}`);
    }, settings, clock).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(err).toMatchObject({ code: csiCode, retryable: false });
    expect((err as Error).message).toBe(`EC2 CreateVolume failed: ${code}: EC2 message for ${code}`);
  });

  it("retries 5xx and surfaces UNAVAILABLE when they persist", async () => {
    const clock = new ManualClock();
    const err = await withRetry("DescribeVolumes", async () => {
      throw ec2Error("InternalError", "An internal error has occurred", 500);
    }, { ...settings, maxAttempts: 3 }, clock).catch((e: unknown) => e);
    expect(clock.sleeps).toHaveLength(2);
    expect(err).toMatchObject({ code: "UNAVAILABLE", retryable: true });
  });
});
