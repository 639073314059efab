// The chaos scripts' kill cadence: how long `snapflow up` lives between kills, from CHAOS_KILL_MS.
import { describe, expect, it } from "vitest";
import { killWindowMs } from "./chaos-host.js";

describe("killWindowMs", () => {
  it.each([
    ["500-2500", { min: 500, max: 2500 }],
    [" 200-1000 ", { min: 200, max: 1000 }],
    ["1000-1000", { min: 1000, max: 1000 }],
  ])("reads %j", (spec, window) => {
    expect(killWindowMs(spec)).toEqual(window);
  });

  it.each(["", "2500", "0-100", "2500-500", "a-b", "-1-5", "1.5-3"])("refuses %j with the rule", (spec) => {
    expect(() => killWindowMs(spec)).toThrow(`CHAOS_KILL_MS must be "min-max" in milliseconds with 0 < min <= max, got ${JSON.stringify(spec)}`);
  });

  it("defaults to lives of 0.5–2.5 s", () => {
    const saved = process.env.CHAOS_KILL_MS;
    delete process.env.CHAOS_KILL_MS;
    try {
      expect(killWindowMs()).toEqual({ min: 500, max: 2500 });
    } finally {
      if (saved !== undefined) process.env.CHAOS_KILL_MS = saved;
    }
  });
});
