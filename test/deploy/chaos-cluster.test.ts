// The bounded distributed run of `npm run chaos:cluster` in the normal suite: a three-node NATS
// JetStream cluster (streams ×3), two dispatchers, one watcher, the functions in-process (the full
// run's killed function host processes are left to `npm run chaos:cluster`); 60 snapshots and one
// group snapshot, the event stream's leader node killed with SIGKILL mid-run.
import { describe, expect, it } from "vitest";
import { runClusterChaos, summaryLines } from "../../bench/chaos-cluster.js";

describe("chaos:cluster, bounded", () => {
  it("loses, leaks and duplicates nothing while a NATS node dies and comes back", async () => {
    const lines: string[] = [];
    const result = await runClusterChaos({ snapshots: 60, groups: 1, natsNodes: 3, killNatsNode: true, killFunctionHost: false, functionHosts: "in-process", limitMs: 120_000, log: (l) => lines.push(l) });
    expect(result.kills.length, lines.join("\n")).toBe(1);
    expect(result.kills[0]).toMatch(/kill -9 nats n\d/);
    expect(result.killsDuringRun, lines.join("\n")).toBe(1);
    expect(result.streamReplicas).toBe(3);
    expect(result.details, lines.join("\n")).toEqual([]);
    expect(summaryLines(result)).toEqual(["leaked: 0", "duplicated: 0", "stuck finalizers: 0"]);
  }, 240_000);
});
