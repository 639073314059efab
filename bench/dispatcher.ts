// Dispatcher microbenchmark: CPU time per delivered message in the dispatcher's process, against a real
// nats-server, with a no-op in-process function that answers like the function framework (200 and an
// audit CloudEvent in binary mode). The events are published before the dispatcher starts, so the
// measured CPU is: pulling from JetStream, delivering, reading the reply, writing the audit record and
// acking — the dispatcher's own cost per message plus the NATS client under it.
//   npm run bench:dispatcher -- [--messages 4000] [--rounds 3] [--concurrency 16] [--json FILE] [--cpu-profile FILE]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Session } from "node:inspector/promises";
import { Hono } from "hono";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../cli/stack/nats-server.js";
import { appDeliver, startDispatcher } from "../events/dispatcher/index.js";
import { AUDIT_STREAM, connectNats, ensureConsumers, ensureStreams, type DeliveryPolicy } from "../events/jetstream/index.js";
import { objectCloudEvent } from "../events/watcher/object-event.js";
import { EventPublisher } from "../events/watcher/publisher.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const jsonIndex = process.argv.indexOf("--json");
const jsonFile = jsonIndex > 0 ? process.argv[jsonIndex + 1] : undefined;
const profileIndex = process.argv.indexOf("--cpu-profile");
/** Writes a .cpuprofile of the last round's measured window (the dispatcher at work) to this file. */
const profileFile = profileIndex > 0 ? process.argv[profileIndex + 1] : undefined;
const messages = arg("messages", 4000);
const rounds = arg("rounds", 3);
const concurrency = arg("concurrency", 16);
const policy: DeliveryPolicy = { ackWaitMs: 30_000, maxDeliver: 10, backoffMs: [], maxAckPending: 1_000 };

/** What the function framework answers for "nothing to do" (shared/function/audit.ts auditHeaders). */
function noopFunction(name: string) {
  const app = new Hono();
  app.post(`/${name}`, (c) => {
    const cluster = c.req.header("ce-cluster") ?? "";
    const record = { function: name, cluster, outcome: "nothing", verdict: "succeeded", status: 200, did: [], gatewayCalls: [], events: [], targets: [], durationMs: 0.1, time: new Date().toISOString() };
    return new Response(JSON.stringify(record), {
      status: 200,
      headers: {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": randomUUID(),
        "ce-source": `/clusters/${cluster}/functions/${name}`,
        "ce-type": `dev.snapflow.audit.${name}.succeeded`,
        "ce-time": record.time,
        "ce-cluster": cluster,
        "ce-function": name,
        "ce-outcome": "nothing",
        "ce-subject": c.req.header("ce-subject") ?? "",
        "ce-namespace": c.req.header("ce-namespace") ?? "",
        "ce-name": c.req.header("ce-name") ?? "",
        "ce-eventid": c.req.header("ce-id") ?? "",
      },
    });
  });
  return app;
}

/** CPU per call of the function alone: requests built beforehand (in small batches), the answers not read. Best of 3. */
async function functionCost(app: Hono, n: number): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let used = 0;
    for (let done = 0; done < n; done += 100) {
      const requests = Array.from({ length: 100 }, (_, i) => new Request("http://in-process/bind", {
        method: "POST",
        headers: [["ce-specversion", "1.0"], ["ce-id", `uid-${i}.1.added`], ["ce-cluster", "bench"], ["ce-subject", `uid-${i}`], ["ce-namespace", "default"], ["ce-name", `snap-${i}`], ["content-type", "application/json"]],
        body: "{}",
      }));
      const cpu0 = process.cpuUsage();
      for (const request of requests) await app.fetch(request);
      const cpu = process.cpuUsage(cpu0);
      used += cpu.user + cpu.system;
    }
    best = Math.min(best, used / n);
  }
  return best;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "snapflow-bench-dispatcher-"));
  const server = await startNatsServer({ dir });
  const nc = await connectNats(server.url, "bench-dispatcher");
  const results: Array<{ round: number; messages: number; cpuUsPerMessage: number; wallMs: number; messagesPerSecond: number }> = [];
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    const app = noopFunction("bind");
    // Measured first, in a quiet process (afterwards, the rounds' leftovers skew it).
    const functionUs = await functionCost(app, messages);
    for (let round = 1; round <= rounds; round++) {
      const cluster = `bench${round}`;
      await ensureConsumers(jsm, cluster, [{ function: "bind", resources: ["volumesnapshots"] }], policy);
      const publisher = new EventPublisher(jetstream(nc));
      for (let i = 0; i < messages; i++) {
        const uid = `${randomUUID()}`;
        const object = {
          apiVersion: "snapshot.storage.k8s.io/v1",
          kind: "VolumeSnapshot",
          metadata: { name: `snap-${i}`, namespace: "default", uid, resourceVersion: String(1000 + i), creationTimestamp: "2026-01-01T00:00:00Z" },
          spec: { volumeSnapshotClassName: "snapflow-hostpath", source: { persistentVolumeClaimName: `pvc-${i}` } },
        };
        const { subject, id, event } = objectCloudEvent(cluster, "volumesnapshots", "added", object);
        publisher.enqueue(subject, id, event);
      }
      await publisher.idle();
      const auditBefore = (await jsm.streams.info(AUDIT_STREAM)).state.messages;

      const session = profileFile && round === rounds ? new Session() : undefined;
      if (session) {
        session.connect();
        await session.post("Profiler.enable");
        await session.post("Profiler.setSamplingInterval", { interval: 100 });
        await session.post("Profiler.start");
      }
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const dispatcher = await startDispatcher({
        nc,
        cluster,
        functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://in-process/bind", deliver: appDeliver(app), concurrency }],
        policy,
        ensureConsumers: false,
      });
      while (dispatcher.stats.bind!.acked < messages) await sleep(5);
      await nc.flush();
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      if (session) {
        const { profile } = await session.post("Profiler.stop");
        writeFileSync(profileFile!, JSON.stringify(profile));
        session.disconnect();
      }
      await dispatcher.drain();
      // Every audit record must have landed (the figure is worthless otherwise).
      for (let i = 0; i < 400; i++) {
        if ((await jsm.streams.info(AUDIT_STREAM)).state.messages - auditBefore >= messages) break;
        await sleep(25);
      }
      const audited = (await jsm.streams.info(AUDIT_STREAM)).state.messages - auditBefore;
      if (audited !== messages) throw new Error(`round ${round}: ${audited} audit records for ${messages} messages`);
      const cpuUsPerMessage = (cpu.user + cpu.system) / messages;
      results.push({ round, messages, cpuUsPerMessage: Math.round(cpuUsPerMessage * 10) / 10, wallMs: Math.round(wallMs), messagesPerSecond: Math.round((messages / wallMs) * 1000) });
      console.log(`round ${round}: ${messages} messages, ${cpuUsPerMessage.toFixed(1)} CPU µs/message, ${Math.round((messages / wallMs) * 1000)} messages/s (wall ${Math.round(wallMs)} ms)`);
    }
    const best = Math.min(...results.map((r) => r.cpuUsPerMessage));
    console.log(`best: ${best.toFixed(1)} CPU µs/message`);
    console.log(`the no-op function itself (hono routing, handler, Response): ${functionUs.toFixed(1)} CPU µs/call; dispatcher + NATS client: ${(best - functionUs).toFixed(1)} CPU µs/message`);
    if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ concurrency, results, bestCpuUsPerMessage: best, functionCpuUsPerCall: Math.round(functionUs * 10) / 10 }, null, 2));
  } finally {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
