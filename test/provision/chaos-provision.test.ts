// The bounded run of `npm run chaos:provision` in the normal suite: 4 source claims, their restores
// (one deleted mid-flight), clones and 2 expansions, then everything deleted, while `snapflow up`
// is killed -9 right after the first VolumeSnapshot is created and again right after every
// deletion is requested (the dev cluster and nats-server survive as separate processes).
import { describe, expect, it } from "vitest";
import { failed, runProvisionChaos, summaryLines } from "../../bench/chaos-provision.js";

describe("chaos:provision, bounded", () => {
  it("loses no data and leaks, duplicates or strands nothing while snapflow up is killed", async () => {
    const lines: string[] = [];
    const result = await runProvisionChaos({ claims: 4, randomKills: false, killMidFlight: true, limitMs: 90_000, log: (l) => lines.push(l) });
    const context = [...lines, ...result.details].join("\n");
    expect(result.kills, context).toBe(2);
    expect(result.details, context).toEqual([]);
    expect(result).toMatchObject({ claims: 4, restores: 4, restoresDeleted: 1, clones: 4, expanded: 2 });
    expect(summaryLines(result).slice(3), context).toEqual([
      "not bound: 0",
      "bound twice: 0",
      "lost data: 0",
      "leaked: 0",
      "duplicated: 0",
      "left after deletion: 0 PVs, 0 backend volumes, 0 backend snapshots, 0 API objects",
      "stuck finalizers: 0",
    ]);
    expect(failed(result)).toBe(false);
  }, 180_000);
});
