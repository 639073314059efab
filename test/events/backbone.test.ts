// The event backbone against a real nats-server: contract fields, de-duplication, delivery over
// HTTP and in-process, retries into the dead-letter subject, malformed events, requeues, drain,
// the audit trail, and a nats-server killed with -9 in the middle of a stream.
import { serve, type ServerType } from "@hono/node-server";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAudit, type AuditEntry } from "../../events/audit/reader.js";
import { cloudEventJson, fromNatsMessage, utf8 } from "../../events/codec/index.js";
import { appDeliver, startDispatcher, type Dispatcher } from "../../events/dispatcher/index.js";
import { AUDIT_STREAM, connectNats, deadSubject, ensureStreams, K8S_STREAM, k8sSubject, type DeliveryPolicy } from "../../events/jetstream/index.js";
import { objectCloudEvent } from "../../events/watcher/object-event.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { testFunctionApp } from "./function-app.js";
import { waitFor } from "./wait.js";

const FAST: DeliveryPolicy = { ackWaitMs: 2_000, maxDeliver: 3, backoffMs: [], maxAckPending: 200 };

let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;
const cleanups: Array<() => Promise<unknown>> = [];

function snapshot(uid: string, rv: string, name = `snap-${uid}`) {
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name, namespace: "default", uid, resourceVersion: rv, creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { source: { persistentVolumeClaimName: "data" } },
  };
}

function publishSnapshot(publisher: EventPublisher, cluster: string, uid: string, rv = "1") {
  const { subject, id, event } = objectCloudEvent(cluster, "volumesnapshots", "added", snapshot(uid, rv));
  publisher.enqueue(subject, id, event);
  return id;
}

async function auditOf(cluster: string, uid?: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  await readAudit(nc, { cluster, uid }, (e) => entries.push(e));
  return entries;
}

async function listen(app: { fetch: (r: Request) => Response | Promise<Response> }): Promise<{ url: string; server: ServerType }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, server }));
  });
}

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connectNats(nats.url, "backbone-test");
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await nc?.close();
  await nats?.close();
});

describe("event contract on NATS", () => {
  it("publishes one CloudEvent per change with the contract's fields, id and Nats-Msg-Id", async () => {
    const publisher = new EventPublisher(jetstream(nc));
    const id = publishSnapshot(publisher, "contract", "uid-c1", "7");
    await publisher.idle();
    const stored = (await jsm.streams.getMessage(K8S_STREAM, { last_by_subj: k8sSubject("contract", "volumesnapshots", "uid-c1") }))!;
    expect(stored.header.get("Nats-Msg-Id")).toBe(id);
    const event = fromNatsMessage(stored.header, stored.data);
    expect(event.attributes).toMatchObject({
      specversion: "1.0",
      id: "uid-c1.7.added",
      source: "/clusters/contract",
      type: "dev.snapflow.k8s.volumesnapshots.added",
      subject: "uid-c1",
      cluster: "contract",
      namespace: "default",
      name: "snap-uid-c1",
      resourceversion: "7",
      kind: "volumesnapshot",
      datacontenttype: "application/json",
    });
    expect(cloudEventJson(event)).toEqual(snapshot("uid-c1", "7"));
  });

  it("drops duplicates: the same state published twice is stored once", async () => {
    const publisher = new EventPublisher(jetstream(nc));
    publishSnapshot(publisher, "dup", "uid-d1", "3");
    publishSnapshot(publisher, "dup", "uid-d1", "3");
    publishSnapshot(publisher, "dup", "uid-d1", "4");
    await publisher.idle();
    expect(publisher.stats).toMatchObject({ published: 2, duplicates: 1 });
    const info = await jsm.streams.info(K8S_STREAM, { subjects_filter: "snapflow.dup.>" });
    expect(info.state.subjects).toEqual({ [k8sSubject("dup", "volumesnapshots", "uid-d1")]: 2 });
  });
});

describe("publisher while NATS is unreachable", () => {
  it("keeps retrying, bounds its queue and counts what it had to drop", async () => {
    const closed = await connectNats(nats.url, "closed");
    await closed.close();
    const publisher = new EventPublisher(jetstream(closed), { maxPending: 5, retryInitialMs: 10_000 });
    for (let i = 0; i < 12; i++) publishSnapshot(publisher, "unreachable", `uid-q${i}`);
    await waitFor("every first attempt failed", () => publisher.stats.failures === 12);
    expect(publisher.stats).toMatchObject({ published: 0, pending: 5, dropped: 7 });
    publisher.stop();
    await publisher.idle();
  });
});

describe("dispatcher", () => {
  it("delivers over HTTP in binary mode, acks on 2xx and writes the reply to the audit trail", async () => {
    const fn = testFunctionApp("bind", () => ({ status: 200, did: ["bound it"] }));
    const { url, server } = await listen(fn.app);
    cleanups.push(() => new Promise((r) => server.close(r)));
    const dispatcher = await startDispatcher({ nc, cluster: "http", functions: [{ name: "bind", resources: ["volumesnapshots"], url: `${url}/bind` }], policy: FAST });
    cleanups.push(() => dispatcher.drain());
    const publisher = new EventPublisher(jetstream(nc));
    publishSnapshot(publisher, "http", "uid-h1");
    await waitFor("ack", () => dispatcher.stats.bind!.acked === 1);
    expect(fn.received[0]!.event.attributes).toMatchObject({ id: "uid-h1.1.added", source: "/clusters/http", subject: "uid-h1", name: "snap-uid-h1" });
    expect(cloudEventJson(fn.received[0]!.event)).toEqual(snapshot("uid-h1", "1"));
    await waitFor("audit record", async () => (await auditOf("http", "uid-h1")).length === 1);
    const [entry] = await auditOf("http", "uid-h1");
    expect(entry).toMatchObject({ function: "bind", outcome: "succeeded", uid: "uid-h1", name: "snap-uid-h1", namespace: "default" });
    expect(entry!.summary).toContain("bound it");
    const consumer = await jsm.consumers.info(K8S_STREAM, "http_bind_volumesnapshots");
    expect(consumer.num_ack_pending + consumer.num_pending).toBe(0);
  });

  it("a function that keeps failing ends in the dead-letter subject after max_deliver, audited", async () => {
    const fn = testFunctionApp("invoke", () => ({ status: 500 }));
    const dispatcher = await startDispatcher({
      nc,
      cluster: "failing",
      functions: [{ name: "invoke", resources: ["volumesnapshots"], url: "http://in-process/invoke", deliver: appDeliver(fn.app) }],
      policy: FAST,
      retryDelayMs: () => 20,
    });
    cleanups.push(() => dispatcher.drain());
    const publisher = new EventPublisher(jetstream(nc));
    publishSnapshot(publisher, "failing", "uid-f1");
    await waitFor("dead letter", () => dispatcher.stats.invoke!.deadLettered === 1);
    expect(fn.received.map((r) => r.delivery)).toEqual([1, 2, 3]);
    const dead = (await jsm.streams.getMessage(AUDIT_STREAM, { last_by_subj: deadSubject("failing", "invoke", "uid-f1") }))!;
    expect(dead.header.get("snapflow-dead-reason")).toMatch(/delivery limit \(3\).*HTTP 500/);
    expect(fromNatsMessage(dead.header, dead.data).attributes.id).toBe("uid-f1.1.added");
    await waitFor("audit records", async () => (await auditOf("failing", "uid-f1")).length === 4);
    const outcomes = (await auditOf("failing", "uid-f1")).map((e) => e.outcome);
    expect(outcomes).toEqual(["retried", "retried", "retried", "failed"]);
  });

  it("a malformed CloudEvent gets a 4xx from the function and a dead letter at once", async () => {
    const fn = testFunctionApp("protect", () => ({ status: 200 }));
    const dispatcher = await startDispatcher({
      nc,
      cluster: "malformed",
      functions: [{ name: "protect", resources: ["volumesnapshots"], url: "http://in-process/protect", deliver: appDeliver(fn.app) }],
      policy: FAST,
    });
    cleanups.push(() => dispatcher.drain());
    const h = natsHeaders();
    h.set("ce-specversion", "1.0");
    h.set("ce-id", "bad-1");
    h.set("ce-type", "dev.snapflow.k8s.volumesnapshots.added");
    h.set("ce-subject", "uid-m1"); // no ce-source
    await jetstream(nc).publish(k8sSubject("malformed", "volumesnapshots", "uid-m1"), utf8("{}"), { headers: h });
    await waitFor("dead letter", () => dispatcher.stats.protect!.deadLettered === 1);
    expect(fn.received).toHaveLength(0);
    const dead = (await jsm.streams.getMessage(AUDIT_STREAM, { last_by_subj: deadSubject("malformed", "protect", "uid-m1") }))!;
    expect(dead.header.get("snapflow-dead-status")).toBe("400");
    await waitFor("audit", async () => (await auditOf("malformed", "uid-m1")).length === 1);
    expect((await auditOf("malformed", "uid-m1"))[0]).toMatchObject({ outcome: "failed", function: "protect" });
  });

  it("forwards a structured-mode event (application/cloudevents+json) as it is", async () => {
    const fn = testFunctionApp("bind", () => ({ status: 200 }));
    const dispatcher = await startDispatcher({ nc, cluster: "structured", functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://x/bind", deliver: appDeliver(fn.app) }], policy: FAST });
    cleanups.push(() => dispatcher.drain());
    const h = natsHeaders();
    h.set("content-type", "application/cloudevents+json");
    const body = { specversion: "1.0", id: "uid-s9.5.added", source: "/clusters/structured", type: "dev.snapflow.k8s.volumesnapshots.added", subject: "uid-s9", cluster: "structured", datacontenttype: "application/json", data: snapshot("uid-s9", "5") };
    await jetstream(nc).publish(k8sSubject("structured", "volumesnapshots", "uid-s9"), utf8(JSON.stringify(body)), { headers: h });
    await waitFor("ack", () => dispatcher.stats.bind!.acked === 1);
    expect(fn.received[0]!.event.attributes).toMatchObject({ id: "uid-s9.5.added", subject: "uid-s9" });
    expect(cloudEventJson(fn.received[0]!.event)).toEqual(snapshot("uid-s9", "5"));
    await waitFor("audit", async () => (await auditOf("structured", "uid-s9")).length === 1);
  });

  it("a requeue (503 + x-snapflow-retry-after-ms) is redelivered and never dead-lettered, even past max_deliver", async () => {
    let calls = 0;
    const fn = testFunctionApp("delete", () => (++calls < 6 ? { status: 503, headers: { "retry-after": "1", "x-snapflow-retry-after-ms": "30" } } : { status: 200 }));
    const dispatcher = await startDispatcher({
      nc,
      cluster: "requeue",
      functions: [{ name: "delete", resources: ["volumesnapshots"], url: "http://in-process/delete", deliver: appDeliver(fn.app) }],
      policy: FAST,
    });
    cleanups.push(() => dispatcher.drain());
    publishSnapshot(new EventPublisher(jetstream(nc)), "requeue", "uid-r1");
    await waitFor("ack after requeues", () => dispatcher.stats.delete!.acked === 1);
    expect(calls).toBe(6);
    expect(dispatcher.stats.delete).toMatchObject({ requeued: 5, deadLettered: 0 });
    expect(fn.received.every((r) => r.event.attributes.id === "uid-r1.1.added")).toBe(true);
  });

  it("drain lets an in-flight call finish and acks only that, then stops pulling", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const fn = testFunctionApp("fanout", async () => {
      await gate;
      return { status: 200 };
    });
    const dispatcher: Dispatcher = await startDispatcher({
      nc,
      cluster: "drain",
      functions: [{ name: "fanout", resources: ["volumesnapshots"], url: "http://in-process/fanout", deliver: appDeliver(fn.app), concurrency: 1 }],
      policy: FAST,
    });
    const publisher = new EventPublisher(jetstream(nc));
    publishSnapshot(publisher, "drain", "uid-g1");
    await waitFor("call in flight", () => fn.received.length === 1);
    let drained = false;
    const draining = dispatcher.drain().then(() => (drained = true));
    publishSnapshot(publisher, "drain", "uid-g2");
    await publisher.idle();
    expect(drained).toBe(false);
    release();
    await draining;
    expect(dispatcher.stats.fanout!.acked).toBe(1);
    expect(fn.received).toHaveLength(1);
    const consumer = await jsm.consumers.info(K8S_STREAM, "drain_fanout_volumesnapshots");
    expect(consumer.num_pending + consumer.num_ack_pending).toBe(1); // uid-g2 waits for the next dispatcher
  });
});

describe("bounded concurrency", () => {
  it("never has more calls in flight per function than its concurrency, across its resources", async () => {
    let inFlight = 0;
    let peak = 0;
    const fn = testFunctionApp("fanout", async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      return { status: 200 };
    });
    const dispatcher = await startDispatcher({
      nc,
      cluster: "bounded",
      functions: [{ name: "fanout", resources: ["volumesnapshots", "persistentvolumeclaims"], url: "http://x/fanout", deliver: appDeliver(fn.app), concurrency: 3 }],
      policy: FAST,
    });
    cleanups.push(() => dispatcher.drain());
    const publisher = new EventPublisher(jetstream(nc));
    for (let i = 0; i < 12; i++) {
      publishSnapshot(publisher, "bounded", `uid-b${i}`);
      const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: `c${i}`, namespace: "default", uid: `uid-p${i}`, resourceVersion: "1" } };
      const { subject, id, event } = objectCloudEvent("bounded", "persistentvolumeclaims", "added", pvc);
      publisher.enqueue(subject, id, event);
    }
    await waitFor("all acked", () => dispatcher.stats.fanout!.acked === 24);
    expect(peak).toBe(3);
  });
});

describe("long and hung calls", () => {
  it("heartbeats keep a call longer than ack_wait from being redelivered", async () => {
    const fn = testFunctionApp("provision", async () => {
      await new Promise((r) => setTimeout(r, 2_500));
      return { status: 200 };
    });
    const dispatcher = await startDispatcher({
      nc,
      cluster: "slow",
      functions: [{ name: "provision", resources: ["persistentvolumeclaims"], url: "http://x/provision", deliver: appDeliver(fn.app) }],
      policy: { ackWaitMs: 1_000, maxDeliver: 3, backoffMs: [], maxAckPending: 10 },
    });
    cleanups.push(() => dispatcher.drain());
    const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "slow", namespace: "default", uid: "uid-s1", resourceVersion: "1" } };
    const { subject, id, event } = objectCloudEvent("slow", "persistentvolumeclaims", "added", pvc);
    const publisher = new EventPublisher(jetstream(nc));
    publisher.enqueue(subject, id, event);
    await waitFor("ack", () => dispatcher.stats.provision!.acked === 1);
    expect(fn.received).toHaveLength(1);
    const consumer = await jsm.consumers.info(K8S_STREAM, "slow_provision_persistentvolumeclaims");
    expect(consumer.num_redelivered).toBe(0);
  });

  it("a call that exceeds the call timeout is retried", async () => {
    let calls = 0;
    const fn = testFunctionApp("expand", async () => {
      if (++calls === 1) await new Promise((r) => setTimeout(r, 1_000));
      return { status: 200 };
    });
    const dispatcher = await startDispatcher({
      nc,
      cluster: "hung",
      functions: [{ name: "expand", resources: ["persistentvolumeclaims"], url: "http://x/expand", deliver: appDeliver(fn.app) }],
      policy: FAST,
      callTimeoutMs: 200,
      retryDelayMs: () => 20,
    });
    cleanups.push(() => dispatcher.drain());
    const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "hung", namespace: "default", uid: "uid-t1", resourceVersion: "1" } };
    const { subject, id, event } = objectCloudEvent("hung", "persistentvolumeclaims", "added", pvc);
    new EventPublisher(jetstream(nc)).enqueue(subject, id, event);
    await waitFor("ack after a retry", () => dispatcher.stats.expand!.acked === 1);
    expect(dispatcher.stats.expand).toMatchObject({ retried: 1, deadLettered: 0 });
    expect(fn.received.map((r) => r.delivery)).toEqual([1, 2]);
  });
});

describe("consumer lost at run time", () => {
  it("the dispatcher re-creates a deleted consumer and keeps delivering", async () => {
    const seen: string[] = [];
    const fn = testFunctionApp("bind", (event) => {
      seen.push(event.attributes.subject!);
      return { status: 200 };
    });
    const dispatcher = await startDispatcher({ nc, cluster: "lost", functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://x/bind", deliver: appDeliver(fn.app) }], policy: FAST });
    cleanups.push(() => dispatcher.drain());
    const publisher = new EventPublisher(jetstream(nc));
    publishSnapshot(publisher, "lost", "uid-l1");
    await waitFor("first delivery", () => seen.length === 1);
    await jsm.consumers.delete(K8S_STREAM, "lost_bind_volumesnapshots");
    publishSnapshot(publisher, "lost", "uid-l2");
    await waitFor("delivery after the consumer came back", () => seen.includes("uid-l2"), 30_000);
  });
});

describe("two clusters on one NATS", () => {
  it("never cross: each cluster's dispatcher sees only its own cluster's events", async () => {
    const seen: Record<string, string[]> = { alpha: [], beta: [] };
    for (const cluster of ["alpha", "beta"]) {
      const fn = testFunctionApp("bind", (event) => {
        seen[cluster]!.push(`${event.attributes.cluster}:${event.attributes.source}`);
        return { status: 200 };
      });
      const dispatcher = await startDispatcher({ nc, cluster, functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://x/bind", deliver: appDeliver(fn.app) }], policy: FAST });
      cleanups.push(() => dispatcher.drain());
    }
    const publisher = new EventPublisher(jetstream(nc));
    publishSnapshot(publisher, "alpha", "uid-alpha-1");
    publishSnapshot(publisher, "beta", "uid-beta-1");
    publishSnapshot(publisher, "beta", "uid-other");
    await waitFor("deliveries", () => seen.alpha!.length === 1 && seen.beta!.length === 2);
    expect(seen.alpha).toEqual(["alpha:/clusters/alpha"]);
    expect(seen.beta).toEqual(["beta:/clusters/beta", "beta:/clusters/beta"]);
  });
});

describe("nats-server killed with -9 mid-stream", () => {
  it("loses no event: the publisher retries, JetStream keeps what it acknowledged, the dispatcher resumes", { timeout: 60_000 }, async () => {
    const total = 120;
    const seen = new Set<string>();
    const fn = testFunctionApp("expand", (event) => {
      seen.add(event.attributes.id!);
      return { status: 200 };
    });
    const dispatcher = await startDispatcher({
      nc,
      cluster: "crash",
      functions: [{ name: "expand", resources: ["persistentvolumeclaims"], url: "http://in-process/expand", deliver: appDeliver(fn.app) }],
      policy: FAST,
      retryDelayMs: () => 50,
    });
    cleanups.push(() => dispatcher.drain());
    const publisher = new EventPublisher(jetstream(nc), { retryInitialMs: 50, retryMaxMs: 500, publishTimeoutMs: 1_000 });
    const ids: string[] = [];
    const emit = (i: number) => {
      const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: `pvc-${i}`, namespace: "default", uid: `uid-k${i}`, resourceVersion: "1" } };
      const { subject, id, event } = objectCloudEvent("crash", "persistentvolumeclaims", "added", pvc);
      ids.push(id);
      publisher.enqueue(subject, id, event);
    };
    for (let i = 0; i < total / 2; i++) emit(i);
    await publisher.idle();
    await nats.kill();
    for (let i = total / 2; i < total; i++) emit(i); // published while the server is down
    await nats.restart();
    await publisher.idle();
    await waitFor("every event delivered", () => seen.size === total, 30_000);
    expect([...seen].sort()).toEqual([...ids].sort());
    const info = await jsm.streams.info(K8S_STREAM, { subjects_filter: "snapflow.crash.>" });
    expect(info.state.subjects ? Object.keys(info.state.subjects).length : 0).toBe(total);
  });
});
