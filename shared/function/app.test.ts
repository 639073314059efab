// Every HTTP answer of the function framework, through app.request, with a real HTTP KubeClient
// against a real (small) API server.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HTTP, type CloudEvent } from "cloudevents";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { annotateFunction, fanoutAnnotateFunction, MODE, SEEN, TEST_DRIVER } from "../../test/support/annotate-function.js";
import { binaryEvent, structuredEvent } from "../../test/support/events.js";
import { startFakeApiServer, type FakeApiServer } from "../../test/support/fake-apiserver.js";
import { memoryGateway, type MemoryGateway } from "../../test/support/memory-gateway.js";
import type { KubeObject } from "../api/meta.js";
import { RESOURCES } from "../api/resources.js";
import type { CoreEvent } from "../kube/event-recorder.js";
import { createKubeClient, type HttpKubeClient } from "../kube/http-client.js";
import { createFunctionApp } from "./app.js";
import type { AuditRecord } from "./audit.js";

const VS = RESOURCES.volumesnapshots;
const PVC = RESOURCES.persistentvolumeclaims;

let api: FakeApiServer;
let west: FakeApiServer;
let dir: string;
let kube: HttpKubeClient;
let westKube: HttpKubeClient;
let gateway: MemoryGateway;
let app: Hono;
/** Every answer's headers and body, to check that no secret ever left the function. */
const answers: string[] = [];

beforeAll(async () => {
  api = await startFakeApiServer();
  west = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), "snapflow-fn-"));
  await mkdtemp(join(dir, "w-")).then(async (d) => {
    westKube = createKubeClient(await west.kubeconfig(d));
  });
  kube = createKubeClient(await api.kubeconfig(dir));
  gateway = memoryGateway();
  app = createFunctionApp(annotateFunction, { kube, clusterName: "east", gateway });
});

afterAll(async () => {
  kube?.close();
  westKube?.close();
  await api?.close();
  await west?.close();
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function snapshot(annotations: Record<string, string> = {}, namespace = "default"): Promise<KubeObject> {
  return kube.create(VS, {
    metadata: { name: `snap-${++counter}`, namespace, annotations },
    spec: { source: { persistentVolumeClaimName: "data" } },
  } as KubeObject);
}

async function send(target: Hono, init: RequestInit, path = "/"): Promise<{ res: Response; record: AuditRecord }> {
  const res = await target.request(path, init);
  const text = await res.text();
  answers.push(JSON.stringify([...res.headers.entries()]), text);
  return { res, record: JSON.parse(text) as AuditRecord };
}

describe("function app: accepted events", () => {
  it("binary mode: re-reads, reconciles, answers 200 with the audit record as a CloudEvent", async () => {
    const obj = await snapshot();
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(200);
    expect(res.headers.get("ce-specversion")).toBe("1.0");
    expect(res.headers.get("ce-type")).toBe("dev.snapflow.audit.annotate.succeeded");
    expect(res.headers.get("ce-source")).toBe("/clusters/east/functions/annotate");
    expect(res.headers.get("ce-subject")).toBe(obj.metadata.uid);
    expect(res.headers.get("ce-cluster")).toBe("east");
    expect(res.headers.get("ce-namespace")).toBe("default");
    expect(res.headers.get("ce-name")).toBe(obj.metadata.name);
    expect(res.headers.get("ce-outcome")).toBe("done");
    expect(res.headers.get("ce-eventid")).toBe(`${obj.metadata.uid}.${obj.metadata.resourceVersion}.added`);
    expect(res.headers.get("ce-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("content-type")).toBe("application/json");
    const eventId = `${obj.metadata.uid}.${obj.metadata.resourceVersion}.added`;
    expect(record).toMatchObject({
      function: "annotate",
      cluster: "east",
      resource: "volumesnapshots",
      namespace: "default",
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      eventId,
      eventType: "dev.snapflow.k8s.volumesnapshots.added",
      outcome: "done",
      verdict: "succeeded",
      status: 200,
      did: [`annotated default/${obj.metadata.name}`],
      gatewayCalls: [],
      events: [{ type: "Normal", reason: "Annotated" }],
    });
    expect(record.targets).toEqual([{ resource: "volumesnapshots", namespace: "default", name: obj.metadata.name, uid: obj.metadata.uid, outcome: "done", did: record.did }]);
    expect(record.durationMs).toBeGreaterThan(0);
    // The reply is a valid binary-mode CloudEvent per the SDK, carrying the record as data.
    const reply = HTTP.toEvent({ headers: Object.fromEntries(res.headers.entries()), body: JSON.stringify(record) }) as CloudEvent<AuditRecord>;
    expect(reply.validate()).toBe(true);
    expect(reply.data).toEqual(record);
    expect(Date.parse(record.time)).not.toBeNaN();

    const now = await kube.get(VS, obj.metadata.name!, "default");
    expect(now?.metadata.annotations?.[SEEN]).toBe(eventId);
    const events = (await kube.list<CoreEvent>(RESOURCES.events, { namespace: "default" })).items.filter((e) => e.involvedObject.uid === obj.metadata.uid);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: "Annotated", source: { component: "snapflow-test" } });
  });

  it("a redelivered or stale event is harmless: the current state says there is nothing to do", async () => {
    const obj = await snapshot();
    expect((await send(app, binaryEvent(obj))).record.outcome).toBe("done");
    const again = await send(app, binaryEvent(obj));
    expect(again.res.status).toBe(200);
    expect(again.record).toMatchObject({ outcome: "nothing", verdict: "succeeded", message: "already annotated" });
  });

  it("structured mode is accepted too", async () => {
    const obj = await snapshot();
    const init = structuredEvent(obj, { verb: "resynced" });
    const { res, record } = await send(app, { ...init, headers: { ...(init.headers as Record<string, string>), "x-snapflow-delivery": "3" } });
    expect(res.status).toBe(200);
    expect(record.delivery).toBe(3);
    expect(record).toMatchObject({ outcome: "done", eventId: `${obj.metadata.uid}.${obj.metadata.resourceVersion}.resynced` });
  });

  it("cluster-scoped objects carry no namespace", async () => {
    const content = await kube.create(RESOURCES.volumesnapshotcontents, { metadata: { name: `snapcontent-${++counter}` }, spec: {} } as KubeObject);
    const { res, record } = await send(app, binaryEvent(content, { resource: "volumesnapshotcontents" }));
    expect(res.status).toBe(200);
    expect(record.namespace).toBeUndefined();
    expect(record.outcome).toBe("done");
  });
});

describe("function app: no targets, and logging", () => {
  it("targets → [] is nothing to do: no re-read, no reconcile", async () => {
    let reconciled = 0;
    const skip = createFunctionApp(
      { name: "skip", resources: ["volumesnapshots"], targets: () => [], reconcile: async () => (reconciled++, { kind: "done", did: ["x"] }) },
      { kube, clusterName: "east", gateway },
    );
    const obj = await snapshot();
    const { res, record } = await send(skip, { ...binaryEvent(obj), headers: { ...(binaryEvent(obj).headers as Record<string, string>), "x-snapflow-delivery": "2" } });
    expect(res.status).toBe(200);
    // Declined, not decided: the answer is no audit CloudEvent (the dispatcher publishes none).
    expect(res.headers.get("ce-specversion")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(record).toMatchObject({ function: "skip", cluster: "east", uid: obj.metadata.uid, outcome: "nothing", verdict: "succeeded", status: 200, did: [], gatewayCalls: [], events: [], targets: [], delivery: 2 });
    expect(record.message).toBeUndefined();
    expect(reconciled).toBe(0);
  });

  it("logs each answer at its level, and builds nothing for a level the logger does not write", async () => {
    const lines: Array<[string, Record<string, unknown>, string | undefined]> = [];
    const at = (level: string) => (o: object, m?: string) => void lines.push([level, o as Record<string, unknown>, m]);
    const logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
    // Without isLevelEnabled every level is written (loggers that predate it).
    const all = createFunctionApp(annotateFunction, { kube, clusterName: "east", gateway, log: logger });
    const obj = await snapshot();
    await send(all, binaryEvent(obj));
    await send(all, binaryEvent(obj));
    expect(lines.map(([level, o, m]) => [level, o.function, o.outcome, m])).toEqual([
      ["info", "annotate", "done", `done: volumesnapshots default/${obj.metadata.name}`],
      ["debug", "annotate", "nothing", `nothing: volumesnapshots default/${obj.metadata.name}`],
    ]);
    lines.length = 0;
    const quiet = createFunctionApp(annotateFunction, { kube, clusterName: "east", gateway, log: { ...logger, isLevelEnabled: (level) => level !== "debug" } });
    await send(quiet, binaryEvent(obj));
    await send(quiet, binaryEvent(await snapshot({ [MODE]: "invalid" })));
    expect(lines.map(([level, o]) => [level, o.outcome])).toEqual([["warn", "invalid"]]);
  });
});

describe("function app: gone objects", () => {
  it("404 on re-read is nothing to do", async () => {
    const obj = await snapshot();
    await kube.delete(VS, obj.metadata.name!, "default");
    const { res, record } = await send(app, binaryEvent(obj, { verb: "deleted" }));
    expect(res.status).toBe(200);
    expect(record).toMatchObject({ outcome: "nothing", message: `VolumeSnapshot default/${obj.metadata.name} is gone` });
  });

  it("a UID mismatch (same name, new object) is nothing to do", async () => {
    const obj = await snapshot();
    await kube.delete(VS, obj.metadata.name!, "default");
    const reborn = await kube.create(VS, { metadata: { name: obj.metadata.name, namespace: "default" }, spec: {} } as KubeObject);
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(200);
    expect(record.outcome).toBe("nothing");
    expect(record.message).toContain(`now has uid ${reborn.metadata.uid}`);
    expect((await kube.get(VS, obj.metadata.name!, "default"))?.metadata.annotations).toBeUndefined();
  });

  it("functions that want gone objects get object undefined, per target", async () => {
    const fan = createFunctionApp(fanoutAnnotateFunction, { kube, gateway });
    await kube.create(PVC, { metadata: { name: "pvc-a", namespace: "default" }, spec: {} } as KubeObject);
    const obj = await snapshot({ "test.snapflow.dev/targets": "pvc-a,pvc-missing" });
    const { res, record } = await send(fan, binaryEvent(obj));
    expect(res.status).toBe(200);
    expect(record.outcome).toBe("done");
    expect(record.targets.map((t) => [t.name, t.outcome, t.message])).toEqual([
      ["pvc-a", "done", undefined],
      ["pvc-missing", "nothing", "pvc-missing is gone"],
    ]);
    expect((await kube.get(PVC, "pvc-a", "default"))?.metadata.annotations?.[SEEN]).toBeDefined();
  });
});

describe("function app: outcomes that redeliver or dead-letter", () => {
  it("requeue → 503 with Retry-After seconds and the exact milliseconds", async () => {
    const obj = await snapshot({ [MODE]: "requeue" });
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("x-snapflow-retry-after-ms")).toBe("1500");
    expect(res.headers.get("ce-type")).toBe("dev.snapflow.audit.annotate.retried");
    expect(record).toMatchObject({ outcome: "requeue", verdict: "retried", retryAfterMs: 1500, message: "waiting for the snapshot to become ready" });
  });

  it("a 409 from the API server → 409", async () => {
    const obj = await snapshot({ [MODE]: "conflict" });
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(409);
    expect(record).toMatchObject({ outcome: "conflict", verdict: "retried" });
    expect(record.message).toContain("the object has been modified");
  });

  it("a throttled API server → 429 with its Retry-After", async () => {
    const obj = await snapshot();
    api.failNext(429);
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(record).toMatchObject({ outcome: "throttled", retryAfterMs: 2000 });
  });

  it("an API server failure on re-read → 500", async () => {
    const obj = await snapshot();
    api.failNext(500);
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(500);
    expect(record).toMatchObject({ outcome: "error", verdict: "retried" });
    expect(record.message).toContain("injected failure 500");
  });

  it("invalid → 422, audited as failed", async () => {
    const obj = await snapshot({ [MODE]: "invalid" });
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(422);
    expect(res.headers.get("ce-type")).toBe("dev.snapflow.audit.annotate.failed");
    expect(record).toMatchObject({ outcome: "invalid", message: "spec.source names neither a PVC nor a content" });
  });

  it("a thrown error → 500 with the message, secrets scrubbed", async () => {
    const obj = await snapshot({ [MODE]: "throw" });
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(500);
    expect(record.outcome).toBe("error");
    expect(record.message).toBe("backend exploded with token=[REDACTED]");
  });

  it("an unknown cluster → 422 naming the clusters served", async () => {
    const obj = await snapshot();
    const { res, record } = await send(app, binaryEvent(obj, { cluster: "mars" }));
    expect(res.status).toBe(422);
    expect(record).toMatchObject({ outcome: "invalid", cluster: "mars", message: 'unknown cluster "mars": this function serves east' });
    expect(res.headers.get("ce-source")).toBe("/clusters/mars/functions/annotate");
  });

  it("a resource the function does not handle → 422", async () => {
    const { res, record } = await send(app, binaryEvent({ metadata: { name: "standard", uid: "u-sc", resourceVersion: "5" } }, { resource: "storageclasses" }));
    expect(res.status).toBe(422);
    expect(record.message).toContain("does not handle storageclasses");
  });
});

describe("function app: gateway calls in the audit record", () => {
  it("records operation, driver, ok, code and duration, never the request", async () => {
    const obj = await snapshot({ [MODE]: "gateway", "test.snapflow.dev/secret": "creds" });
    const { res, record } = await send(app, binaryEvent(obj));
    expect(res.status).toBe(200);
    expect(record.gatewayCalls.map(({ durationMs, ...rest }) => rest)).toEqual([
      { operation: "createVolume", driver: TEST_DRIVER, ok: true, code: "OK" },
      { operation: "createSnapshot", driver: TEST_DRIVER, ok: true, code: "OK" },
      { operation: "getSnapshot", driver: TEST_DRIVER, ok: true, code: "OK" },
    ]);
    for (const call of record.gatewayCalls) expect(call.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(record)).not.toContain("creds");
  });

  it("records a failed call with its CSI code", async () => {
    const obj = await snapshot({ [MODE]: "gateway-fail" });
    gateway.failWith = "UNAVAILABLE";
    try {
      const { res, record } = await send(app, binaryEvent(obj));
      expect(res.status).toBe(500);
      expect(record.gatewayCalls).toEqual([expect.objectContaining({ operation: "deleteSnapshot", ok: false, code: "UNAVAILABLE" })]);
      expect(record.message).toBe("injected UNAVAILABLE");
    } finally {
      gateway.failWith = undefined;
    }
  });
});

describe("function app: multi-cluster", () => {
  it("resolves the API by the event's cluster", async () => {
    const multi = createFunctionApp(annotateFunction, { kubeFor: { east: kube, west: westKube }, gateway });
    const inWest = await westKube.create(VS, { metadata: { name: "w1", namespace: "default" }, spec: {} } as KubeObject);
    const { res, record } = await send(multi, binaryEvent(inWest, { cluster: "west" }));
    expect(res.status).toBe(200);
    expect(record).toMatchObject({ cluster: "west", outcome: "done" });
    expect((await westKube.get(VS, "w1", "default"))?.metadata.annotations?.[SEEN]).toBeDefined();
    // The same name in east is another object: untouched.
    expect(await kube.get(VS, "w1", "default")).toBeUndefined();
    const unknown = await send(multi, binaryEvent(inWest, { cluster: "north" }));
    expect(unknown.res.status).toBe(422);
    expect(unknown.record.message).toBe('unknown cluster "north": this function serves east, west');
  });
});

describe("function app: refused requests", () => {
  let obj: KubeObject;
  beforeAll(async () => {
    obj = await snapshot();
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ["missing ce-source", { "ce-source": undefined }, 'invalid CloudEvent: missing required attribute "source"'],
    ["missing ce-id", { "ce-id": undefined }, 'invalid CloudEvent: missing required attribute "id"'],
    ["spec version 0.3", { "ce-specversion": "0.3" }, 'unsupported specversion "0.3": only 1.0'],
    ["bad time", { "ce-time": "yesterday" }, 'attribute "time" is not an RFC 3339 timestamp'],
    ["wrong type", { "ce-type": "com.example.thing" }, 'type "com.example.thing" is not dev.snapflow.k8s.<resource>.<added|modified|deleted|resynced>'],
    ["unknown verb", { "ce-type": "dev.snapflow.k8s.volumesnapshots.touched" }, "is not dev.snapflow.k8s"],
    ["unknown resource", { "ce-type": "dev.snapflow.k8s.pods.added" }, 'unknown resource "pods"'],
    ["missing cluster", { "ce-cluster": undefined }, 'missing extension "cluster"'],
    ["source of another cluster", { "ce-source": "/clusters/west" }, 'source "/clusters/west" does not match /clusters/east'],
    ["missing subject", { "ce-subject": undefined }, "missing subject (the object UID)"],
    ["missing name", { "ce-name": undefined }, 'missing extension "name"'],
    ["missing resourceversion", { "ce-resourceversion": undefined }, 'missing extension "resourceversion"'],
    ["missing kind", { "ce-kind": undefined }, 'missing extension "kind"'],
    ["wrong kind", { "ce-kind": "pod" }, 'extension "kind" is "pod" but volumesnapshots are VolumeSnapshot'],
    ["missing namespace", { "ce-namespace": undefined }, 'missing extension "namespace"'],
    ["id not uid.rv.verb", { "ce-id": "random-id" }, 'id "random-id" is not <uid>.<resourceversion>.<verb>'],
    ["name differs from data", { "ce-name": "other" }, 'data names "'],
  ])("%s → 400", async (_name, override, message) => {
    const { res, record } = await send(app, binaryEvent(obj, {}, override));
    expect(res.status).toBe(400);
    expect(record.message).toContain(message);
    expect(record).toMatchObject({ outcome: "malformed", verdict: "failed", status: 400 });
    expect(res.headers.get("ce-type")).toBe("dev.snapflow.audit.annotate.failed");
  });

  it("400 for data that is not JSON, or not an object", async () => {
    const bad = await send(app, { ...binaryEvent(obj), body: "{not json" });
    expect(bad.res.status).toBe(400);
    expect(bad.record.message).toBe("event data is not valid JSON");
    const arr = await send(app, { ...binaryEvent(obj), body: "[1,2]" });
    expect(arr.res.status).toBe(400);
    expect(arr.record.message).toBe("data must be the object as JSON");
    const structured = await send(app, { method: "POST", headers: { "content-type": "application/cloudevents+json" }, body: "{oops" });
    expect(structured.res.status).toBe(400);
    expect(structured.record.message).toBe("body is not valid JSON");
  });

  it("400 for a data uid that contradicts the subject", async () => {
    const other = { ...obj, metadata: { ...obj.metadata, uid: "another-uid" } };
    const init = binaryEvent(obj);
    const { res, record } = await send(app, { ...init, body: JSON.stringify(other) });
    expect(res.status).toBe(400);
    expect(record.message).toBe(`data has uid "another-uid" but subject is "${obj.metadata.uid}"`);
    expect(record.uid).toBe(obj.metadata.uid);
  });

  it("400 for a plain JSON POST that is no CloudEvent", async () => {
    const { res, record } = await send(app, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(400);
    expect(record.message).toContain("not a CloudEvent");
    expect(record.cluster).toBe("unknown");
  });

  it.each<[string, Record<string, string>]>([
    ["text/plain without ce headers", { "content-type": "text/plain" }],
    ["binary mode with text/plain data", { "content-type": "text/plain", "ce-specversion": "1.0" }],
    ["batch mode", { "content-type": "application/cloudevents-batch+json" }],
    ["structured XML", { "content-type": "application/cloudevents+xml" }],
  ])("415 for %s", async (_name, headers) => {
    const { res, record } = await send(app, { method: "POST", headers, body: "x" });
    expect(res.status).toBe(415);
    expect(record).toMatchObject({ outcome: "unsupported", verdict: "failed" });
  });

  it("413 for an oversized body, declared or streamed", async () => {
    const small = createFunctionApp(annotateFunction, { kube, gateway, maxBodyBytes: 2048 });
    const big = { ...obj, metadata: { ...obj.metadata, annotations: { filler: "x".repeat(4096) } } };
    const declared = await send(small, { ...binaryEvent(obj), body: JSON.stringify(big) });
    expect(declared.res.status).toBe(413);
    expect(declared.record).toMatchObject({ outcome: "too-large", verdict: "failed" });
    expect(declared.record.message).toContain("limit of 2048 bytes");

    const payload = new TextEncoder().encode(JSON.stringify(big));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < payload.length; i += 512) controller.enqueue(payload.slice(i, i + 512));
        controller.close();
      },
    });
    const streamed = await send(small, { ...binaryEvent(obj), body: stream, duplex: "half" } as RequestInit);
    expect(streamed.res.status).toBe(413);
    expect(streamed.record.message).toBe("body exceeds the limit of 2048 bytes");
  });

  it("only POST is served", async () => {
    const res = await app.request("/", { method: "GET" });
    expect(res.status).toBe(404);
  });
});

// Runs after every answer above was collected (tests of a file run in order).
describe("function app: secrets", () => {
  it("no answer, header or body, carried a secret value", () => {
    expect(answers.length).toBeGreaterThan(40);
    const all = answers.join("\n");
    expect(all).toContain("token=[REDACTED]");
    expect(all).not.toMatch(/supersecret/);
  });
});
