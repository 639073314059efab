// A claim deleted while its CreateVolume's outcome is unknown leaves no volume behind (upstream
// external-provisioner#486 leaks it): a real CSI driver over gRPC whose CreateVolume outlives the
// gateway's deadline but still makes the volume; the claim is deleted before provision retries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { KubeApiError, type KubeClient } from "../../shared/kube/types.js";
import { startMiniCsiDriver, type MiniCsiDriver } from "../support/mini-csi-driver.js";
import { ProvisionStack } from "./stack.js";

const SLOW = "slow.csi.test";
/** The driver makes a volume in this long; the gateway gives up on the call much sooner. */
const DRIVER_MS = 1500;
const GATEWAY_TIMEOUT_SECONDS = 0.4;

let driver: MiniCsiDriver;
let stack: ProvisionStack;

beforeAll(async () => {
  driver = await startMiniCsiDriver({ name: SLOW, controller: ["CREATE_DELETE_VOLUME"] });
  stack = new ProvisionStack({ drivers: { [SLOW]: { address: driver.endpoint, timeoutSeconds: GATEWAY_TIMEOUT_SECONDS } } });
  await stack.start();
  await stack.createClass("slow", { provisioner: SLOW, parameters: { delayMs: String(DRIVER_MS) } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await driver?.close();
}, 60_000);

const count = (method: string) => driver.calls.filter((c) => c === method).length;

async function until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function deleteClaim(name: string): Promise<void> {
  await stack.kube.delete(RESOURCES.persistentvolumeclaims, name, "default");
  const deadline = Date.now() + 5_000;
  while (await stack.get("persistentvolumeclaims", name, "default")) {
    if (Date.now() > deadline) throw new Error(`claim ${name} was not deleted`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("provision: a claim deleted while its CreateVolume's outcome is unknown", () => {
  it("the timed-out CreateVolume's volume is found by asking again, and deleted: the driver ends with no volume", async () => {
    const pvc = await stack.createClaim("leaky", { className: "slow" });
    const volumeId = `vol-pvc-${pvc.metadata.uid}`;
    const creates = count("CreateVolume");

    // provision's CreateVolume outlives the gateway's deadline: DEADLINE_EXCEEDED, a retry later.
    await stack.round();
    expect(count("CreateVolume")).toBe(creates + 1);
    const first = stack.audits.filter((a) => a.function === "provision" && a.name === "leaky").at(-1)!;
    expect(first.outcome).toBe("requeue");
    expect(first.message).toMatch(/DeadlineExceeded/);
    expect(await stack.eventsFor(pvc.metadata.uid!)).toContain('Normal Provisioning: External provisioner is provisioning volume for claim "default/leaky"');
    // ... but the driver goes on and makes the volume.
    await until("the driver to make the volume", () => driver.volumes().includes(volumeId));
    expect((await stack.get<PersistentVolumeClaim>("persistentvolumeclaims", "leaky", "default"))?.status?.phase ?? "Pending").toBe("Pending");

    // The user deletes the claim before the retry: upstream would never ask again (leak).
    await deleteClaim("leaky");
    const deletes = count("DeleteVolume");
    await stack.round();

    expect(driver.volumes()).toEqual([]);
    expect(count("CreateVolume")).toBe(creates + 2);
    expect(count("DeleteVolume")).toBe(deletes + 1);
    expect(await stack.get("persistentvolumes", `pvc-${pvc.metadata.uid}`)).toBeUndefined();
    const check = stack.audits.filter((a) => a.function === "provision" && a.name === "leaky" && a.eventType?.endsWith(".deleted")).at(-1)!;
    expect(check.outcome).toBe("done");
    expect(check.did).toEqual(expect.arrayContaining([`deleted volume ${volumeId} left behind by deleted claim default/leaky`]));

    // The deleted event answered 2xx: nothing repeats it.
    await stack.rounds(2);
    expect(count("CreateVolume")).toBe(creates + 2);
    expect(driver.volumes()).toEqual([]);
  }, 30_000);

  it("a claim deleted before any CreateVolume (no Provisioning Event) causes no CreateVolume at all", async () => {
    const pvc = await stack.createClaim("never-tried", { className: "slow" });
    const creates = count("CreateVolume");
    await deleteClaim("never-tried");
    // The watcher's "deleted" event, carrying the claim's last state.
    const [record] = (await stack.deliver("persistentvolumeclaims", pvc, "deleted")).filter((a) => a.function === "provision");
    expect(record!.outcome).toBe("nothing");
    expect(record!.message).toBe("claim deleted before any CreateVolume (no Provisioning Event)");
    expect(record!.gatewayCalls).toEqual([]);
    expect(count("CreateVolume")).toBe(creates);
    expect(driver.volumes()).toEqual([]);
  });

  it("a deleted bound claim is not looked at (its PV's reclaim policy decides): no read, no gateway call", async () => {
    await stack.createClaim("bound", { className: "standard" });
    const { pvc } = await stack.bound("bound");
    await deleteClaim("bound");
    const [record] = (await stack.deliver("persistentvolumeclaims", pvc, "deleted")).filter((a) => a.function === "provision");
    expect(record!.outcome).toBe("nothing");
    expect(record!.targets).toEqual([]);
    expect(record!.gatewayCalls).toEqual([]);
  });
});

describe("provision: the Provisioning Event is written before CreateVolume, or CreateVolume is not sent", () => {
  /** provision's Event writes fail while this is true. */
  let eventsDown = false;
  const quiet = new ProvisionStack();
  beforeAll(
    () =>
      quiet.start({
        kubeFor: (fn, kube) => {
          if (fn.name !== "provision") return kube;
          const wrapped: KubeClient = Object.create(kube) as KubeClient;
          wrapped.create = async (type, object) => {
            if (type.plural === "events" && eventsDown) throw new KubeApiError(500, "InternalError", "etcdserver: request timed out");
            return kube.create(type, object);
          };
          return wrapped;
        },
      }),
    60_000,
  );
  afterAll(() => quiet.stop(), 60_000);

  it("no Event written, no CreateVolume (the claim is redelivered); once Events can be written it is provisioned", async () => {
    const before = await quiet.volumeDirs();
    eventsDown = true;
    const pvc = await quiet.createClaim("unrecorded");
    await quiet.rounds(2);
    const record = quiet.audits.filter((a) => a.function === "provision" && a.name === "unrecorded").at(-1)!;
    expect(record.outcome).toBe("error");
    expect(record.gatewayCalls.filter((c) => c.operation === "createVolume")).toEqual([]);
    expect(await quiet.volumeDirs()).toEqual(before);
    eventsDown = false;
    const { pv } = await quiet.bound("unrecorded");
    expect(pv.metadata.name).toBe(`pvc-${pvc.metadata.uid}`);
    expect(await quiet.eventsFor(pvc.metadata.uid!)).toContain('Normal Provisioning: External provisioner is provisioning volume for claim "default/unrecorded"');
  }, 30_000);
});
