// The dispatcher's rules for events of one object, against a real nats-server: a function runs on
// one object at a time (events arriving meanwhile wait, only the newest runs next), and a requeue
// past max_deliver publishes a fresh copy only while its event is still the object's newest (a stale
// copy landing after a newer event would hold every consumer of the object until its not-before).
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDeliver, startDispatcher } from "../../events/dispatcher/index.js";
import { connectNats, consumerName, DEFAULT_DELIVERY_POLICY, ensureStreams, K8S_STREAM, k8sSubject } from "../../events/jetstream/index.js";
import { objectCloudEvent } from "../../events/watcher/object-event.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { waitFor } from "./wait.js";

let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connectNats(nats.url, "dispatcher-objects-test");
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
});

afterAll(async () => {
  await nc?.close();
  await nats?.close();
});

/** One VolumeSnapshot event, published and stored before this returns. */
async function publish(cluster: string, uid: string, resourceVersion: string, verb: "modified" | "resynced" = "modified"): Promise<void> {
  const vs = { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: `s-${uid}`, namespace: "default", uid, resourceVersion } };
  const { subject, id, event } = objectCloudEvent(cluster, "volumesnapshots", verb, vs);
  const publisher = new EventPublisher(jetstream(nc));
  publisher.enqueue(subject, id, event);
  await publisher.idle();
  publisher.stop();
}

/** Waits until the consumer has nothing left to deliver and nothing unacknowledged. */
async function nothingPending(durable: string): Promise<void> {
  await waitFor(
    "nothing pending",
    async () => {
      const info = await jsm.consumers.info(K8S_STREAM, durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    10_000,
  );
}

const ok = () => new Response("{}", { status: 200, headers: { "content-type": "application/json" } });

describe("one call per object at a time", () => {
  it("events arriving while the function is on their object wait, and only the newest runs next", async () => {
    const cluster = "one-per-object";
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const app = new Hono();
    app.post("/bind", async (c) => {
      peak = Math.max(peak, ++running);
      const rv = c.req.header("ce-resourceversion") ?? "?";
      if (rv === "1") await held;
      seen.push(rv);
      running--;
      return ok();
    });
    const dispatcher = await startDispatcher({ nc, cluster, functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://in-process/bind", deliver: appDeliver(app), concurrency: 8 }] });
    const durable = consumerName(cluster, "bind", "volumesnapshots");
    try {
      await publish(cluster, "uid-e", "1");
      await waitFor("the first event in the function", () => running === 1, 10_000);
      await publish(cluster, "uid-e", "2");
      await waitFor("rv 2 handed to the dispatcher", async () => (await jsm.consumers.info(K8S_STREAM, durable)).delivered.consumer_seq === 2, 10_000);
      // It waits: the function is still on rv 1 and has not seen rv 2.
      expect(dispatcher.stats.bind!.delivered).toBe(1);
      await publish(cluster, "uid-e", "3");
      await waitFor("rv 3 took rv 2's place", () => dispatcher.stats.bind!.superseded === 1, 10_000);
      release();
      await waitFor("both calls done", () => dispatcher.stats.bind!.acked === 2, 10_000);
      expect(seen).toEqual(["1", "3"]);
      expect(peak).toBe(1);
      await nothingPending(durable);
    } finally {
      release();
      await dispatcher.drain();
    }
  });
});

describe("verb filters", () => {
  it("a function given only some verbs of a resource is called for those alone; the others are acked unread", async () => {
    const cluster = "verb-filter";
    const seen: string[] = [];
    const app = new Hono();
    app.post("/protect", (c) => {
      seen.push(c.req.header("ce-type") ?? "?");
      return ok();
    });
    const dispatcher = await startDispatcher({
      nc,
      cluster,
      functions: [{ name: "protect", resources: ["volumesnapshots"], verbs: { volumesnapshots: ["resynced"] }, url: "http://in-process/protect", deliver: appDeliver(app), concurrency: 4 }],
    });
    const durable = consumerName(cluster, "protect", "volumesnapshots");
    try {
      await publish(cluster, "uid-m", "1", "modified");
      await publish(cluster, "uid-r", "1", "resynced");
      await waitFor("both settled", () => dispatcher.stats.protect!.filtered === 1 && dispatcher.stats.protect!.acked === 1, 10_000);
      expect(seen).toEqual(["dev.snapflow.k8s.volumesnapshots.resynced"]);
      expect(dispatcher.stats.protect!.delivered).toBe(1);
      await nothingPending(durable);
    } finally {
      await dispatcher.drain();
    }
  });
});

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
