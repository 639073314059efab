// Repeated naks against a real nats-server with the default delivery policy: each redelivery comes
// after the dispatcher's own delay. (With a JetStream back-off list, nats-server 2.9 keeps a nak's
// delay only the first time; the second 409 of an event then parked it for the 30 s back-off step.)
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDeliver, startDispatcher } from "../../events/dispatcher/index.js";
import { connectNats, consumerName, DEFAULT_DELIVERY_POLICY, ensureConsumers, ensureStreams, K8S_STREAM } from "../../events/jetstream/index.js";
import { objectCloudEvent } from "../../events/watcher/object-event.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { waitFor } from "./wait.js";

let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connectNats(nats.url, "dispatcher-naks-test");
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
});

afterAll(async () => {
  await nc?.close();
  await nats?.close();
});

describe("dispatcher naks with the default delivery policy", () => {
  it("an event answered 409 three times is delivered a fourth time after the dispatcher's short delays", async () => {
    const app = new Hono();
    let calls = 0;
    app.post("/bind", () => new Response("{}", { status: ++calls <= 3 ? 409 : 200, headers: { "content-type": "application/json" } }));
    const dispatcher = await startDispatcher({
      nc,
      cluster: "naks",
      functions: [{ name: "bind", resources: ["volumesnapshots"], url: "http://in-process/bind", deliver: appDeliver(app) }],
      retryDelayMs: () => 50,
    });
    try {
      const vs = { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "s", namespace: "default", uid: "uid-n1", resourceVersion: "1" } };
      const { subject, id, event } = objectCloudEvent("naks", "volumesnapshots", "added", vs);
      new EventPublisher(jetstream(nc)).enqueue(subject, id, event);
      // Far below the 30 s a back-off step would impose after the second nak.
      await waitFor("the fourth delivery acked", () => dispatcher.stats.bind!.acked === 1, 10_000);
      expect(calls).toBe(4);
      expect(dispatcher.stats.bind!.retried).toBe(3);
    } finally {
      await dispatcher.drain();
    }
  });

  it("ensureConsumers clears a back-off list an older configuration left on a consumer", async () => {
    await ensureConsumers(jsm, "older", [{ function: "invoke", resources: ["volumesnapshotcontents"] }], { ...DEFAULT_DELIVERY_POLICY, backoffMs: [60_000, 120_000] });
    const durable = consumerName("older", "invoke", "volumesnapshotcontents");
    expect((await jsm.consumers.info(K8S_STREAM, durable)).config.backoff?.length).toBe(3);
    await ensureConsumers(jsm, "older", [{ function: "invoke", resources: ["volumesnapshotcontents"] }]);
    expect((await jsm.consumers.info(K8S_STREAM, durable)).config.backoff ?? []).toEqual([]);
  });
});
