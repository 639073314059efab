// The nats-server spawner `snapflow up` uses: JetStream store in our dir, restart on the same store,
// and an orphan left by a parent killed with -9 is stopped before a new start on that store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, describe, expect, it } from "vitest";
import { connectNats, ensureStreams, K8S_STREAM } from "../../events/jetstream/index.js";
import { findNatsServer, NATS_INSTALL_HINT, startNatsServer, type NatsServerHandle } from "../../cli/stack/nats-server.js";

const dir = mkdtempSync(join(tmpdir(), "snapflow-natsd-"));
const handles: NatsServerHandle[] = [];

afterAll(async () => {
  for (const h of handles) await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("nats-server spawner", () => {
  it("finds the distribution's binary and knows how to ask for it", () => {
    expect(findNatsServer()).toMatch(/nats-server$/);
    expect(NATS_INSTALL_HINT).toContain("sudo apt-get install nats-server");
  });

  it("keeps JetStream data across a restart, and stops an orphan holding the store", async () => {
    const first = await startNatsServer({ dir });
    handles.push(first);
    let nc = await connectNats(first.url, "spawner-test");
    await ensureStreams(await jetstreamManager(nc));
    await jetstream(nc).publish("snapflow.t.k8s.persistentvolumeclaims.u1", "x", { msgID: "m1" });
    await nc.close();

    // As if the parent died with -9: nobody stopped `first`. A new start on the same store stops it.
    const second = await startNatsServer({ dir });
    handles.push(second);
    await expect.poll(() => alive(first.pid)).toBe(false);
    nc = await connectNats(second.url, "spawner-test-2");
    const info = await (await jetstreamManager(nc)).streams.info(K8S_STREAM);
    expect(info.state.messages).toBe(1);
    await nc.close();
  });
});
