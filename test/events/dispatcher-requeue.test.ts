// A requeue past max_deliver, against a real nats-server: the dispatcher publishes a fresh copy of
// the event only while it is still the object's newest, so an old copy never lands after a newer
// event (every consumer of the object would wait for its not-before).
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDeliver, startDispatcher } from "../../events/dispatcher/index.js";
import { connectNats, DEFAULT_DELIVERY_POLICY, ensureStreams, K8S_STREAM, k8sSubject } from "../../events/jetstream/index.js";
import { objectCloudEvent } from "../../events/watcher/object-event.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { waitFor } from "./wait.js";

let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connectNats(nats.url, "dispatcher-requeue-test");
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
});

afterAll(async () => {
  await nc?.close();
  await nats?.close();
});

function snapshot(uid: string, resourceVersion: string) {
  return { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: `s-${uid}`, namespace: "default", uid, resourceVersion } };
}

async function publish(cluster: string, uid: string, resourceVersion: string, verb: "added" | "modified" = "modified"): Promise<void> {
  const { subject, id, event } = objectCloudEvent(cluster, "volumesnapshots", verb, snapshot(uid, resourceVersion));
  const publisher = new EventPublisher(jetstream(nc));
  publisher.enqueue(subject, id, event);
  await publisher.idle();
  publisher.stop();
}

const ok = () => new Response("{}", { status: 200, headers: { "content-type": "application/json" } });

describe("requeue copies", () => {
  it("a requeue past max_deliver is not copied over a newer event of the object", async () => {
    const cluster = "requeue-guard";
    const subject = k8sSubject(cluster, "volumesnapshots", "uid-d");
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const app = new Hono();
    const seen: string[] = [];
    app.post("/bind", async (c) => {
      const rv = c.req.header("ce-resourceversion") ?? "?";
      seen.push(rv);
      if (rv === "1") {
        // Holds the old event until its newer one is in the stream, then asks for a requeue on
        // what the dispatcher counts as its last allowed delivery.
        await held;
        return new Response("waiting", { status: 503, headers: { "x-snapflow-retry-after-ms": "60000" } });
      }
      return ok();
    });
    const dispatcher = await startDispatcher({
      nc,
      cluster,
      policy: { ...DEFAULT_DELIVERY_POLICY, maxDeliver: 2 },
      functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://in-process/bind", deliver: appDeliver(app) }],
    });
    try {
      await publish(cluster, "uid-d", "1");
      await waitFor("old event in the function", () => seen.length === 1, 10_000);
      await publish(cluster, "uid-d", "2");
      const newer = await jsm.streams.getMessage(K8S_STREAM, { last_by_subj: subject });
      release();
      await waitFor("old event settled and newer one acked", () => dispatcher.stats.bind!.requeued === 1 && dispatcher.stats.bind!.acked >= 1, 10_000);
      const last = await jsm.streams.getMessage(K8S_STREAM, { last_by_subj: subject });
      expect(last!.seq).toBe(newer!.seq);
      expect(last!.header.get("ce-resourceversion")).toBe("2");
      expect(seen).toEqual(["1", "2"]);
    } finally {
      await dispatcher.drain();
    }
  });
});
