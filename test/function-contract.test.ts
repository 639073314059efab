// The event contract from both ends: events built by the watcher and encoded by the backbone's codec
// (binary and structured) are accepted by the function framework, whose reply the codec decodes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudEventJson, encodeStructured, fromHttpMessage, toHttpRequest } from "../events/codec/index.js";
import { objectCloudEvent } from "../events/watcher/object-event.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import { createFunctionHost } from "../shared/function/host.js";
import type { AuditRecord } from "../shared/function/audit.js";
import { createKubeClient, type HttpKubeClient } from "../shared/kube/http-client.js";
import { annotateFunction, SEEN } from "./support/annotate-function.js";
import { startFakeApiServer, type FakeApiServer } from "./support/fake-apiserver.js";
import { memoryGateway } from "./support/memory-gateway.js";

let api: FakeApiServer;
let dir: string;
let kube: HttpKubeClient;

beforeAll(async () => {
  api = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), "snapflow-contract-"));
  kube = createKubeClient(await api.kubeconfig(dir));
});

afterAll(async () => {
  kube?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("event contract between the watcher's events and the function framework", () => {
  it("accepts a namespaced object's event in binary mode, built from a bare list item", async () => {
    const host = createFunctionHost([annotateFunction], { kube, clusterName: "east", gateway: memoryGateway() }, { processMetrics: false });
    const obj = await kube.create(RESOURCES.volumesnapshots, { metadata: { name: "contract-1", namespace: "default" }, spec: {} } as KubeObject);
    // A list item without apiVersion/kind, as informers deliver them.
    const { apiVersion: _a, kind: _k, ...bare } = obj;
    const { event } = objectCloudEvent("east", "volumesnapshots", "modified", bare as KubeObject);
    const res = await host.app.request(toHttpRequest(event, "http://functions/annotate"));
    const body = new Uint8Array(await res.arrayBuffer());
    expect(res.status, new TextDecoder().decode(body)).toBe(200);
    const reply = fromHttpMessage(res.headers, body);
    expect(reply.attributes).toMatchObject({ type: "dev.snapflow.audit.annotate.succeeded", subject: obj.metadata.uid, cluster: "east" });
    const record = cloudEventJson<AuditRecord>(reply)!;
    expect(record).toMatchObject({ outcome: "done", eventId: event.attributes.id, eventType: "dev.snapflow.k8s.volumesnapshots.modified" });
    expect((await kube.get(RESOURCES.volumesnapshots, "contract-1", "default"))?.metadata.annotations?.[SEEN]).toBe(event.attributes.id);
  });

  it("accepts a cluster-scoped object's event in structured mode", async () => {
    const host = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway() }, { processMetrics: false });
    const content = await kube.create(RESOURCES.volumesnapshotcontents, { metadata: { name: "snapcontent-contract" }, spec: {} } as KubeObject);
    const { event } = objectCloudEvent("east", "volumesnapshotcontents", "resynced", content);
    const structured = encodeStructured(event);
    const res = await host.app.request("/annotate", {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: structured,
    });
    const record = (await res.json()) as AuditRecord;
    expect(res.status, JSON.stringify(record)).toBe(200);
    expect(record).toMatchObject({ outcome: "done", resource: "volumesnapshotcontents", name: "snapcontent-contract" });
    expect(record.namespace).toBeUndefined();
  });
});
