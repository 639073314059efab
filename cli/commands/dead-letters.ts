// `snapflow dead-letters`: the Knative deadLetterSink of the rendered Broker and Triggers. Every
// CloudEvent Knative gave up on goes back onto the bus as snapflow's dead letter
// (snapflow.<cluster>.dead.<function>.<uid>), where `snapflow audit` and the dispatcher's own dead
// letters already live.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { Command } from "commander";
import { Hono } from "hono";
import { fromHttpMessage, toNatsMessage, validateCloudEvent } from "../../events/codec/index.js";
import { assertToken, connectNats, deadSubject, ensureStreams } from "../../events/jetstream/index.js";
import { createLogger } from "../../shared/log.js";
import { resolveNatsUrl } from "../stack/endpoints.js";
import { untilSignal } from "../stack/signals.js";

/** Knative names the subscriber that failed in `knativeerrordest`; ours are snapflow-<function>.<ns>…. */
export function functionOfErrorDest(dest: string | undefined): string {
  if (!dest) return "unknown";
  try {
    const host = new URL(dest).hostname.split(".")[0] ?? "";
    const match = /^snapflow-([a-z0-9-]+)$/.exec(host);
    return match ? match[1]! : "unknown";
  } catch {
    return "unknown";
  }
}

export function createDeadLetterApp(js: JetStreamClient, cluster: string): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.post("/", async (c) => {
    let event;
    try {
      event = validateCloudEvent(fromHttpMessage(c.req.raw.headers, new Uint8Array(await c.req.arrayBuffer())));
    } catch (err) {
      return c.json({ error: `not a CloudEvent: ${(err as Error).message}` }, 400);
    }
    const fn = functionOfErrorDest(event.attributes.knativeerrordest);
    const uid = event.attributes.subject ?? event.attributes.id!;
    const { headers, data } = toNatsMessage(event, [
      ["snapflow-dead-reason", "knative delivery exhausted its retries"],
      ["snapflow-dead-function", fn],
      ...(event.attributes.knativeerrorcode ? ([["snapflow-dead-status", event.attributes.knativeerrorcode]] as Array<[string, string]>) : []),
    ]);
    try {
      await js.publish(deadSubject(cluster, fn, uid), data, { headers, msgID: `dead.${fn}.${event.attributes.id}` });
    } catch (err) {
      // Knative retries the dead-letter delivery itself when we say so.
      return c.json({ error: `bus unavailable: ${(err as Error).message}` }, 503);
    }
    return c.json({ deadLettered: true, function: fn, uid });
  });
  return app;
}

export function register(program: Command): void {
  program
    .command("dead-letters")
    .description("HTTP sink for Knative dead letters: publishes each to snapflow.<cluster>.dead.<function>.<uid>")
    .option("--nats <url>", "NATS URL (default: $NATS_URL, else nats://127.0.0.1:4222)")
    .option("--cluster-name <name>", "cluster the dead letters belong to", "local")
    .option("--port <n>", "TCP port (default: $PORT, else 8080)")
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .action(async (o: { nats?: string; clusterName: string; port?: string; host: string }) => {
      const cluster = assertToken("cluster name", o.clusterName);
      const log = createLogger({ name: "snapflow-dead-letters", base: { cluster } });
      const nc = await connectNats(resolveNatsUrl(o.nats, ".snapflow"), "snapflow-dead-letters");
      await ensureStreams(await jetstreamManager(nc));
      const server = createAdaptorServer({ fetch: createDeadLetterApp(jetstream(nc), cluster).fetch }) as Server;
      const port = Number(o.port ?? process.env.PORT ?? 8080);
      await new Promise<void>((resolve) => server.listen(port, o.host, resolve));
      process.stdout.write(`${JSON.stringify({ deadLetters: `http://${o.host}:${(server.address() as AddressInfo).port}` })}\n`);
      log.info({}, "accepting dead letters");
      await untilSignal();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await nc.drain();
    });
}
