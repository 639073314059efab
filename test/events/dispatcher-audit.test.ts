// The dispatcher's audit writes against a real nats-server: core publishes with Nats-Msg-Id (so
// JetStream still de-duplicates), never holding back the ack, and a warning — not a stuck message —
// when SNAPFLOW_AUDIT does not take the record.
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDeliver, startDispatcher } from "../../events/dispatcher/index.js";
import { AUDIT_STREAM, auditSubject, connectNats, ensureStreams, type DeliveryPolicy } from "../../events/jetstream/index.js";
import { objectCloudEvent } from "../../events/watcher/object-event.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import type { Logger } from "../../shared/function/types.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { waitFor } from "./wait.js";

const FAST: DeliveryPolicy = { ackWaitMs: 2_000, maxDeliver: 5, backoffMs: [], maxAckPending: 100 };

let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connectNats(nats.url, "dispatcher-audit-test");
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
});

afterAll(async () => {
  await nc?.close();
  await nats?.close();
});

/** Answers `statuses` in turn (then 200), always with the same audit event id. */
function fixedIdFunction(name: string, statuses: number[]) {
  const app = new Hono();
  let calls = 0;
  app.post(`/${name}`, (c) => {
    const status = statuses[calls++] ?? 200;
    return new Response(JSON.stringify({ status }), {
      status,
      headers: {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "same-audit-id",
        "ce-source": `/functions/${name}`,
        "ce-type": `dev.snapflow.audit.${name}.${status < 300 ? "succeeded" : "retried"}`,
        "ce-subject": c.req.header("ce-subject") ?? "",
      },
    });
  });
  return { app, calls: () => calls };
}

function publishPvc(cluster: string, uid: string): void {
  const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: `pvc-${uid}`, namespace: "default", uid, resourceVersion: "1" } };
  const { subject, id, event } = objectCloudEvent(cluster, "persistentvolumeclaims", "added", pvc);
  new EventPublisher(jetstream(nc)).enqueue(subject, id, event);
}

function recordingLog(): Logger & { warnings: Array<{ obj: object; msg?: string }> } {
  const warnings: Array<{ obj: object; msg?: string }> = [];
  return { warnings, debug: () => undefined, info: () => undefined, error: () => undefined, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

describe("dispatcher audit records", () => {
  it("land in SNAPFLOW_AUDIT with Nats-Msg-Id = audit.<reply id>, de-duplicated across deliveries", async () => {
    const fn = fixedIdFunction("expand", [500]);
    const log = recordingLog();
    const dispatcher = await startDispatcher({
      nc,
      cluster: "dedup",
      functions: [{ name: "expand", resources: ["persistentvolumeclaims"], url: "http://in-process/expand", deliver: appDeliver(fn.app) }],
      policy: FAST,
      retryDelayMs: () => 20,
      log,
    });
    publishPvc("dedup", "uid-a1");
    await waitFor("ack after a retry", () => dispatcher.stats.expand!.acked === 1);
    await dispatcher.drain();
    expect(fn.calls()).toBe(2);
    const stored = (await jsm.streams.getMessage(AUDIT_STREAM, { last_by_subj: auditSubject("dedup", "expand", "uid-a1") }))!;
    expect(stored.header.get("Nats-Msg-Id")).toBe("audit.same-audit-id");
    expect(stored.header.get("ce-type")).toBe("dev.snapflow.audit.expand.retried");
    const info = await jsm.streams.info(AUDIT_STREAM, { subjects_filter: "snapflow.dedup.>" });
    expect(info.state.subjects).toEqual({ [auditSubject("dedup", "expand", "uid-a1")]: 1 });
    expect(log.warnings).toEqual([]);
  });

  it("a record the stream does not take is a warning; the message is acked all the same", async () => {
    await jsm.streams.delete(AUDIT_STREAM);
    try {
      const fn = fixedIdFunction("bind", []);
      const log = recordingLog();
      const dispatcher = await startDispatcher({
        nc,
        cluster: "lost",
        functions: [{ name: "bind", resources: ["persistentvolumeclaims"], url: "http://in-process/bind", deliver: appDeliver(fn.app) }],
        policy: FAST,
        log,
      });
      publishPvc("lost", "uid-l1");
      await waitFor("ack", () => dispatcher.stats.bind!.acked === 1);
      await waitFor("warning", () => log.warnings.some((w) => w.msg === "audit record not written"));
      expect(log.warnings.find((w) => w.msg === "audit record not written")!.obj).toMatchObject({ function: "bind", uid: "uid-l1" });
      await dispatcher.drain();
    } finally {
      await ensureStreams(jsm);
    }
  });
});
