// The k8s stream keeps one event per object (max_msgs_per_subject 1), against a real nats-server:
// a function that is behind gets only the object's newest event, a delayed redelivery gives way to
// a newer event at once, and a requeue past max_deliver never puts an old copy in a newer event's
// place.
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
  nc = await connectNats(nats.url, "stream-coalescing-test");
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

/** The resourceversion extension of every delivery, in order. */
function recordingApp(answer: (resourceVersion: string, call: number) => Response) {
  const app = new Hono();
  const seen: string[] = [];
  app.post("/bind", (c) => {
    const rv = c.req.header("ce-resourceversion") ?? "?";
    seen.push(rv);
    return answer(rv, seen.length);
  });
  return { app, seen };
}

const ok = () => new Response("{}", { status: 200, headers: { "content-type": "application/json" } });

describe("one event per object in the k8s stream", () => {
  it("a function that starts behind gets each object's newest event only", async () => {
    const cluster = "coalesce-behind";
    for (const rv of ["1", "2", "3"]) await publish(cluster, "uid-a", rv);
    await publish(cluster, "uid-b", "7", "added");
    const last = await jsm.streams.getMessage(K8S_STREAM, { last_by_subj: k8sSubject(cluster, "volumesnapshots", "uid-a") });
    expect(last!.header.get("ce-resourceversion")).toBe("3");

    const { app, seen } = recordingApp(ok);
    const dispatcher = await startDispatcher({ nc, cluster, functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://in-process/bind", deliver: appDeliver(app) }] });
    try {
      await waitFor("two deliveries acked", () => dispatcher.stats.bind!.acked === 2, 10_000);
      expect([...seen].sort()).toEqual(["3", "7"]);
    } finally {
      await dispatcher.drain();
    }
  });

  it("an event waiting out a retry delay gives way to the object's newer event at once", async () => {
    const cluster = "coalesce-retry";
    // The first delivery asks to be retried in 60 s; the newer event must not wait for that.
    const { app, seen } = recordingApp((_rv, call) => (call === 1 ? new Response("conflict", { status: 409, headers: { "retry-after": "60" } }) : ok()));
    const dispatcher = await startDispatcher({ nc, cluster, functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://in-process/bind", deliver: appDeliver(app) }] });
    try {
      await publish(cluster, "uid-c", "1");
      await waitFor("first delivery retried", () => dispatcher.stats.bind!.retried === 1, 10_000);
      await publish(cluster, "uid-c", "2");
      await waitFor("newer event acked", () => dispatcher.stats.bind!.acked === 1, 10_000);
      expect(seen).toEqual(["1", "2"]);
      // The old event is gone from the stream: nothing of it is left waiting for its 60 s.
      await waitFor("nothing pending", async () => (await jsm.consumers.info(K8S_STREAM, consumerName(cluster, "bind", "volumesnapshots"))).num_ack_pending === 0, 10_000);
    } finally {
      await dispatcher.drain();
    }
  });

  it("a requeue past max_deliver is not copied over a newer event of the object", async () => {
    const cluster = "coalesce-requeue";
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
