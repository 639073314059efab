import { describe, expect, it } from "vitest";
import { backoffMs, ERROR_BACKOFF, POLL_BACKOFF } from "./steps.js";

describe("backoffMs", () => {
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  it("starts at the base for a brand-new object", () => {
    expect(backoffMs("2026-01-01T00:00:00Z", t0, POLL_BACKOFF)).toBe(200);
    expect(backoffMs(undefined, t0, ERROR_BACKOFF)).toBe(1000);
  });

  it("grows with the object's age so looks are geometric, not a storm", () => {
    const delays: number[] = [];
    let now = t0;
    for (let i = 0; i < 30; i++) {
      const d = backoffMs("2026-01-01T00:00:00Z", now, POLL_BACKOFF);
      delays.push(d);
      now += d;
    }
    // 30 looks cover minutes, each delay at least as long as the one before, capped at a minute.
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)!).toBeLessThanOrEqual(60_000);
    expect(now - t0).toBeGreaterThan(60_000);
  });

  it("is capped, so an old object is still looked at again", () => {
    expect(backoffMs("2020-01-01T00:00:00Z", t0, POLL_BACKOFF)).toBe(60_000);
    expect(backoffMs("2020-01-01T00:00:00Z", t0, ERROR_BACKOFF)).toBe(300_000);
  });
});
