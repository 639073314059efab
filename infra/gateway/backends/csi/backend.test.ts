import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../../../shared/gateway/types.js";
import { startMiniCsiDriver, type MiniCsiDriver } from "../../../../test/support/mini-csi-driver.js";
import { CsiBackend } from "./backend.js";
import { buildBackends } from "../../index.js";
import { createGatewayMetrics } from "../../metrics.js";
import { createCsiBackend, normalizeCsiAddress } from "./index.js";

const fs = [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" as const }];

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe("csi backend against a driver with few capabilities", () => {
  let driver: MiniCsiDriver;
  let backend: CsiBackend;

  beforeAll(async () => {
    driver = await startMiniCsiDriver({ name: "mini.csi.test", controller: ["CREATE_DELETE_SNAPSHOT", "LIST_SNAPSHOTS"] });
    backend = new CsiBackend({ driverName: "mini.csi.test", address: driver.endpoint, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await backend.close();
    await driver.close();
  });

  it("reports the capabilities it read from the driver", async () => {
    expect(await backend.capabilities()).toEqual({
      driver: "mini.csi.test",
      vendorVersion: "0.0.1-test",
      plugin: ["CONTROLLER_SERVICE"],
      controller: ["CREATE_DELETE_SNAPSHOT", "LIST_SNAPSHOTS"],
      groupController: [],
      node: [],
    });
  });

  it("reads identity and capabilities once, not per call", async () => {
    await backend.capabilities();
    await backend.listSnapshots({});
    await backend.listSnapshots({});
    expect(driver.calls.filter((c) => c === "GetPluginInfo")).toHaveLength(1);
    expect(driver.calls.filter((c) => c === "ControllerGetCapabilities")).toHaveLength(1);
    expect(driver.calls.filter((c) => c === "Probe")).toHaveLength(1);
  });

  it("refuses calls the driver does not advertise, final, without sending them", async () => {
    const before = driver.calls.length;
    for (const call of [
      () => backend.createVolume({ name: "v", capabilities: fs }),
      () => backend.expandVolume({ volumeId: "v", requiredBytes: 10 }),
      () => backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["a"] }),
      () => backend.deleteGroupSnapshot({ groupSnapshotId: "g", snapshotIds: ["a"] }),
    ]) {
      const err = await failure(call());
      expect(err.code).toBe("UNIMPLEMENTED");
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(/does not support .* \(capability [A-Z_]+ not advertised\)/);
    }
    expect(driver.calls.slice(before)).toEqual([]);
  });

  it("reports every gRPC call it makes, named and coded as csi-lib-utils' metrics name them", async () => {
    const seen: Array<[string, string]> = [];
    const observed = new CsiBackend({
      driverName: "mini.csi.test",
      address: driver.endpoint,
      timeoutMs: 5000,
      onCall: (method, code, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        seen.push([method, code]);
      },
    });
    try {
      await observed.createSnapshot({ name: "m1", sourceVolumeId: "vol-a" });
      await failure(observed.createSnapshot({ name: "m2", sourceVolumeId: "vol-a", parameters: { fail: "NOT_FOUND" } }));
      await failure(observed.createSnapshot({ name: "m3", sourceVolumeId: "vol-a", parameters: { fail: "DEADLINE_EXCEEDED" } }));
    } finally {
      await observed.close();
    }
    expect(seen).toEqual([
      ["/csi.v1.Identity/GetPluginInfo", "OK"],
      ["/csi.v1.Identity/Probe", "OK"],
      ["/csi.v1.Identity/GetPluginCapabilities", "OK"],
      ["/csi.v1.Controller/ControllerGetCapabilities", "OK"],
      ["/csi.v1.Controller/CreateSnapshot", "OK"],
      ["/csi.v1.Controller/CreateSnapshot", "NotFound"],
      ["/csi.v1.Controller/CreateSnapshot", "DeadlineExceeded"],
    ]);
  });

  it("falls back to ListSnapshots for getSnapshot when GET_SNAPSHOT is not advertised", async () => {
    const created = await backend.createSnapshot({ name: "s1", sourceVolumeId: "vol-a" });
    expect(created).toEqual({
      snapshotId: "snap-s1",
      sourceVolumeId: "vol-a",
      creationTimeNs: "1700000000000000005",
      sizeBytes: 4096,
      readyToUse: true,
    });
    expect(await backend.getSnapshot({ snapshotId: "snap-s1" })).toEqual(created);
    expect(await backend.getSnapshot({ snapshotId: "snap-missing" })).toBeUndefined();
    expect(driver.calls).not.toContain("GetSnapshot");
  });

  it("maps driver status codes to retryable or final outcomes", async () => {
    const cases: Array<[string, boolean]> = [
      ["UNAVAILABLE", true],
      ["DEADLINE_EXCEEDED", true],
      ["ABORTED", true],
      ["RESOURCE_EXHAUSTED", true],
      ["INVALID_ARGUMENT", false],
      ["ALREADY_EXISTS", false],
      ["NOT_FOUND", false],
      ["FAILED_PRECONDITION", false],
      ["OUT_OF_RANGE", false],
    ];
    for (const [code, retryable] of cases) {
      const err = await failure(backend.createSnapshot({ name: `f-${code}`, sourceVolumeId: "vol-a", parameters: { fail: code } }));
      expect({ code: err.code, retryable: err.retryable }).toEqual({ code, retryable });
      // The driver's own status description, nothing added: callers embed it as a Go client
      // prints the status (`rpc error: code = … desc = <this>`), as upstream's messages do.
      expect(err.message).toBe("rejected; credentials were {} (user=)");
      expect(err.origin).toBeUndefined();
    }
  });
});

describe("csi backend: plugin and node capabilities", () => {
  it("reports the Node service's capabilities and a plugin without CONTROLLER_SERVICE as the driver announces them", async () => {
    const driver = await startMiniCsiDriver({ name: "node.csi.test", controllerService: false, node: ["STAGE_UNSTAGE_VOLUME", "EXPAND_VOLUME"] });
    const backend = new CsiBackend({ driverName: "node.csi.test", address: driver.endpoint, timeoutMs: 5000 });
    try {
      expect(await backend.capabilities()).toMatchObject({ plugin: [], controller: [], node: ["EXPAND_VOLUME", "STAGE_UNSTAGE_VOLUME"] });
      // Without CONTROLLER_SERVICE the controller is not asked; the node always is.
      expect(driver.calls).not.toContain("ControllerGetCapabilities");
      expect(driver.calls).toContain("NodeGetCapabilities");
    } finally {
      await backend.close();
      await driver.close();
    }
  });
});

describe("csi backend: a Node service that fails", () => {
  it("does not stop snapshots; capabilities() fails with it and asks again next time", async () => {
    const driver = await startMiniCsiDriver({ name: "flaky-node.csi.test", controller: ["CREATE_DELETE_SNAPSHOT"], node: ["EXPAND_VOLUME"], nodeFailures: 1 });
    const backend = new CsiBackend({ driverName: "flaky-node.csi.test", address: driver.endpoint, timeoutMs: 5000 });
    try {
      expect((await backend.createSnapshot({ name: "s-flaky", sourceVolumeId: "vol-a" })).snapshotId).toBeTruthy();
      expect(driver.calls).not.toContain("NodeGetCapabilities");
      await expect(backend.capabilities()).rejects.toMatchObject({ code: "INTERNAL", origin: "gateway" });
      expect((await backend.capabilities()).node).toEqual(["EXPAND_VOLUME"]);
      await backend.capabilities();
      expect(driver.calls.filter((c) => c === "NodeGetCapabilities")).toHaveLength(2);
    } finally {
      await backend.close();
      await driver.close();
    }
  });
});

describe("csi backend connection rules", () => {
  const started: MiniCsiDriver[] = [];
  const backends: CsiBackend[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((b) => b.close()));
    await Promise.all(started.splice(0).map((d) => d.close()));
  });
  async function pair(opts: { name: string; configured?: string; ready?: boolean; timeoutMs?: number }) {
    const driver = await startMiniCsiDriver({ name: opts.name, ready: opts.ready, controller: ["CREATE_DELETE_SNAPSHOT", "GET_SNAPSHOT"] });
    started.push(driver);
    const backend = new CsiBackend({ driverName: opts.configured ?? opts.name, address: driver.endpoint, timeoutMs: opts.timeoutMs ?? 5000 });
    backends.push(backend);
    return { driver, backend };
  }

  it("refuses to serve a socket whose driver has another name", async () => {
    const { backend } = await pair({ name: "other.csi.test", configured: "wanted.csi.test" });
    const err = await failure(backend.capabilities());
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('serves CSI driver "other.csi.test", not the configured "wanted.csi.test"');
    // Not the configured driver's answer: a caller must not take it as final for that driver's work.
    expect(err.origin).toBe("gateway");
  });

  it("answers retryable UNAVAILABLE while the driver's probe says not ready, and serves once it is", async () => {
    const { driver, backend } = await pair({ name: "slow.csi.test", ready: false });
    const err = await failure(backend.createSnapshot({ name: "x", sourceVolumeId: "v" }));
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.retryable).toBe(true);
    expect(driver.calls).not.toContain("CreateSnapshot");
    driver.setReady(true);
    expect((await backend.createSnapshot({ name: "x", sourceVolumeId: "v" })).snapshotId).toBe("snap-x");
  });

  it("uses GetSnapshot when advertised and maps NOT_FOUND to undefined", async () => {
    const { driver, backend } = await pair({ name: "get.csi.test" });
    expect(await backend.getSnapshot({ snapshotId: "nope" })).toBeUndefined();
    expect(driver.calls).toContain("GetSnapshot");
  });

  it("gives every call a deadline: a driver slower than it is DEADLINE_EXCEEDED, retryable", async () => {
    // A deadline generous enough for the capability reads on a busy machine, far below the delay.
    const { backend } = await pair({ name: "late.csi.test", timeoutMs: 1000 });
    await backend.capabilities();
    const err = await failure(backend.createSnapshot({ name: "late", sourceVolumeId: "v", parameters: { delayMs: "10000" } }));
    expect(err.code).toBe("DEADLINE_EXCEEDED");
    expect(err.retryable).toBe(true);
  });

  it("answers retryable UNAVAILABLE when nothing listens on the socket", async () => {
    const backend = new CsiBackend({ driverName: "gone.csi.test", address: "unix:///nonexistent/dir/csi.sock", timeoutMs: 2000 });
    backends.push(backend);
    const err = await failure(backend.capabilities());
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.retryable).toBe(true);
  });
});

describe("csi backend config entry", () => {
  it("accepts unix:/// addresses and bare absolute paths", () => {
    expect(normalizeCsiAddress("unix:///run/csi.sock")).toBe("unix:///run/csi.sock");
    expect(normalizeCsiAddress("/run/csi.sock")).toBe("unix:///run/csi.sock");
    expect(normalizeCsiAddress("localhost:9000")).toBeUndefined();
  });

  it("feeds the gateway's metrics with every call to the configured driver", async () => {
    const driver = await startMiniCsiDriver({ name: "fed.csi.test", controller: ["CREATE_DELETE_SNAPSHOT"] });
    const metrics = createGatewayMetrics();
    const backend = await buildBackends({ drivers: { "fed.csi.test": { backend: "csi", address: driver.endpoint } } }, metrics);
    try {
      await backend.get("fed.csi.test")!.createSnapshot({ name: "s", sourceVolumeId: "v" });
    } finally {
      await Promise.all([...backend.values()].map((b) => b.close()));
      await driver.close();
    }
    expect(await metrics.registry.metrics()).toContain(
      'csi_sidecar_operations_seconds_count{driver_name="fed.csi.test",method_name="/csi.v1.Controller/CreateSnapshot",grpc_status_code="OK"} 1',
    );
  });

  it("names the bad key", () => {
    expect(() => createCsiBackend("d.test", { backend: "csi" })).toThrow('drivers."d.test".address: required');
    expect(() => createCsiBackend("d.test", { backend: "csi", address: "tcp://x" })).toThrow("drivers.\"d.test\".address: must be");
    expect(() => createCsiBackend("d.test", { backend: "csi", address: "/x.sock", timeoutSeconds: -1 })).toThrow(
      'drivers."d.test".timeoutSeconds',
    );
    expect(() => createCsiBackend("d.test", { backend: "csi", address: "/x.sock", socket: 1 })).toThrow('drivers."d.test".socket: unknown key');
  });
});
