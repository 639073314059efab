// `snapflow deploy render` as a user runs it, and `snapflow dead-letters`' app against a real NATS.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeadLetterApp } from "../../cli/commands/dead-letters.js";
import { startNatsServer, type NatsServerHandle } from "../../cli/stack/nats-server.js";
import { AUDIT_STREAM, ensureStreams } from "../../events/jetstream/index.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const run = promisify(execFile);
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "snapflow-deploy-cli-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("snapflow deploy render", () => {
  it("writes the files and the kustomization for a target, and refuses an unknown target", async () => {
    const out = join(dir, "k8s");
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, "bin/snapflow.mjs"), "deploy", "render", "--target", "kubernetes", "--cluster-name", "east", "--out", out], { cwd: ROOT, timeout: 60_000 });
    expect(stdout.split("\n")).toContain(join(out, "kustomization.yaml"));
    expect(stderr).toContain("fill the gateway token");
    expect(readFileSync(join(out, "kubernetes/watcher.yaml"), "utf8")).toContain("- east");
    expect(existsSync(join(out, "kubernetes/function-bind.yaml"))).toBe(true);
    const failed = await run(process.execPath, [join(ROOT, "bin/snapflow.mjs"), "deploy", "render", "--target", "lambda"], { cwd: ROOT, timeout: 60_000 }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('unknown target "lambda"');
  }, 90_000);
});

describe("snapflow dead-letters", () => {
  let nats: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    nats = await startNatsServer({ dir: join(dir, "nats") });
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc));
  }, 30_000);
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("publishes what Knative gave up on as the function's dead letter, and refuses what is not a CloudEvent", async () => {
    const app = createDeadLetterApp(jetstream(nc!), "east");
    const res = await app.request("/", {
      method: "POST",
      headers: {
        "ce-specversion": "1.0",
        "ce-id": "uid-1.42.modified",
        "ce-source": "/clusters/east",
        "ce-type": "dev.snapflow.k8s.volumesnapshots.modified",
        "ce-subject": "uid-1",
        "ce-knativeerrordest": "http://snapflow-bind.snapflow.svc.cluster.local",
        "ce-knativeerrorcode": "500",
        "content-type": "application/json",
      },
      body: JSON.stringify({ metadata: { name: "snap", uid: "uid-1" } }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deadLettered: true, function: "bind", uid: "uid-1" });
    const jsm = await jetstreamManager(nc!);
    const msg = await jsm.streams.getMessage(AUDIT_STREAM, { last_by_subj: "snapflow.east.dead.bind.uid-1" });
    expect(msg?.header?.get("snapflow-dead-status")).toBe("500");
    expect(msg?.header?.get("ce-type")).toBe("dev.snapflow.k8s.volumesnapshots.modified");
    expect(JSON.parse(new TextDecoder().decode(msg!.data))).toEqual({ metadata: { name: "snap", uid: "uid-1" } });

    const bad = await app.request("/", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(bad.status).toBe(400);
  });
});
