import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayConfigError, loadGatewayConfig, parseGatewayConfig } from "./config.js";
import { buildBackends } from "./index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gateway-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("gateway config", () => {
  it("loads drivers, body limit and log level from YAML", async () => {
    const file = join(dir, "gateway.yaml");
    await writeFile(
      file,
      [
        "drivers:",
        "  hostpath.snapflow.dev:",
        "    backend: csi",
        "    address: unix:///run/snapflow/csi.sock",
        "    timeoutSeconds: 30",
        "maxBodyBytes: 65536",
        "logLevel: warn",
      ].join("\n"),
    );
    expect(await loadGatewayConfig(file)).toEqual({
      drivers: { "hostpath.snapflow.dev": { backend: "csi", address: "unix:///run/snapflow/csi.sock", timeoutSeconds: 30 } },
      maxBodyBytes: 65536,
      logLevel: "warn",
    });
  });

  it.each([
    [null, "must be a mapping"],
    [{ drivers: [] }, '"drivers" must be a mapping'],
    [{ drivers: {}, port: 1 }, 'unknown key "port"'],
    [{ drivers: { "-bad-": { backend: "csi" } } }, 'drivers."-bad-": not a valid CSI driver name'],
    [{ drivers: { "a.b": "csi" } }, 'drivers."a.b": must be a mapping'],
    [{ drivers: { "a.b": { address: "/x" } } }, 'drivers."a.b".backend: required'],
    [{ drivers: {}, maxBodyBytes: 10 }, "maxBodyBytes: must be an integer of at least 1024"],
    [{ drivers: {}, logLevel: "loud" }, "logLevel: must be one of"],
  ])("rejects %j naming the key", (doc, message) => {
    expect(() => parseGatewayConfig(doc, "gw.yaml")).toThrow(GatewayConfigError);
    expect(() => parseGatewayConfig(doc, "gw.yaml")).toThrow(message);
  });

  it("says which file is unreadable or not YAML", async () => {
    await expect(loadGatewayConfig(join(dir, "missing.yaml"))).rejects.toThrow(/cannot read gateway config .*missing\.yaml/);
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "drivers: [unclosed");
    await expect(loadGatewayConfig(bad)).rejects.toThrow(/bad\.yaml: not valid YAML/);
  });

  it("refuses an unknown backend kind, listing the known ones", async () => {
    await expect(buildBackends({ drivers: { "x.test": { backend: "floppy" } } })).rejects.toThrow(
      /drivers\."x\.test"\.backend: unknown backend "floppy" \(known: .*csi/,
    );
  });

  it("builds a csi backend per csi entry (connecting lazily)", async () => {
    const backends = await buildBackends({ drivers: { "x.test": { backend: "csi", address: "/nowhere/csi.sock" } } });
    expect(backends.get("x.test")?.kind).toBe("csi");
    await Promise.all([...backends.values()].map((b) => b.close()));
  });
});
