// `snapflow audit` as a user runs it (a real CLI process) against a real nats-server.
import { spawn } from "node:child_process";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventType, type AuditOutcome } from "../../events/audit/record.js";
import { parseDuration } from "../../events/audit/reader.js";
import { jsonCloudEvent, toNatsMessage } from "../../events/codec/index.js";
import { auditSubject, connectNats, ensureStreams } from "../../events/jetstream/index.js";
import { startTestNats, type TestNats } from "../support/nats.js";

const ROOT = new URL("../../", import.meta.url).pathname;
let nats: TestNats;
let nc: NatsConnection;

async function publishAudit(cluster: string, fn: string, uid: string, verdict: AuditOutcome, record: Record<string, unknown>, n: number) {
  const event = jsonCloudEvent(
    { id: `audit-${uid}-${n}`, source: `/clusters/${cluster}/functions/${fn}`, type: auditEventType(fn, verdict), subject: uid, time: new Date().toISOString(), cluster, namespace: "default", name: `snap-${uid}` },
    { function: fn, cluster, uid, verdict, ...record },
  );
  const { headers, data } = toNatsMessage(event);
  await jetstream(nc).publish(auditSubject(cluster, fn, uid), data, { headers });
}

function runCli(args: string[], onLine?: (line: string, stop: () => void) => void): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/snapflow.mjs", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let stderr = "";
    let buffered = "";
    const killer = setTimeout(() => child.kill("SIGKILL"), 80_000);
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        onLine?.(line, () => child.kill("SIGTERM"));
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, lines, stderr });
    });
  });
}

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connectNats(nats.url, "audit-cli-test");
  await ensureStreams(await jetstreamManager(nc));
  await publishAudit("east", "bind", "uid-a", "succeeded", { outcome: "done", did: ["created content snapcontent-uid-a"], status: 200, durationMs: 12 }, 1);
  await publishAudit("east", "invoke", "uid-a", "retried", { outcome: "requeue", did: [], status: 503, retryAfterMs: 1000, message: "waiting for readyToUse" }, 2);
  await publishAudit("east", "bind", "uid-b", "succeeded", { outcome: "nothing", did: [], status: 200 }, 3);
  await publishAudit("west", "bind", "uid-a", "failed", { outcome: "invalid", did: [], status: 422, message: "class not found" }, 4);
});

afterAll(async () => {
  await nc?.close();
  await nats?.close();
});

// Each case starts the CLI (tsx loads it: several seconds on a busy 2-core machine).
const CLI_TIMEOUT = { timeout: 90_000 };

describe("snapflow audit", () => {
  it("prints one line per outcome, filtered by cluster and uid", CLI_TIMEOUT, async () => {
    const { code, lines, stderr } = await runCli(["audit", "--nats", nats.url, "--cluster", "east", "--uid", "uid-a"]);
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/bind\s+succeeded\s+default\/snap-uid-a\s+uid=uid-a\s+\[done\] — created content snapcontent-uid-a/);
    expect(lines[1]).toMatch(/invoke\s+retried\s+default\/snap-uid-a\s+uid=uid-a\s+\[requeue\] — waiting for readyToUse — HTTP 503 — retry in 1000 ms/);
  });

  it("--follow --json --since prints what is there, then records as they arrive, as JSON", CLI_TIMEOUT, async () => {
    let published = false;
    const result = await runCli(["audit", "--nats", nats.url, "--cluster", "west", "--follow", "--json", "--since", "1h"], (line, stop) => {
      if (!published) {
        published = true;
        void publishAudit("west", "delete", "uid-z", "succeeded", { outcome: "done", did: ["removed finalizer"] }, 5);
      }
      if (line.includes("uid-z")) stop();
    });
    const entries = result.lines.map((l) => JSON.parse(l) as { cluster: string; function: string; outcome: string; uid: string; summary: string });
    expect(entries.map((e) => `${e.cluster}/${e.function}/${e.outcome}/${e.uid}`)).toEqual(["west/bind/failed/uid-a", "west/delete/succeeded/uid-z"]);
    expect(entries[1]!.summary).toContain("removed finalizer");
  });

  it("parses durations and rejects bad ones", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(() => parseDuration("soon")).toThrow(/invalid duration/);
  });
});
