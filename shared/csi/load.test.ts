import { existsSync } from "node:fs";
import * as protoLoader from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import { CSI_LOADER_OPTIONS, CSI_PROTO_PATH, loadCsi, statusName } from "./load.js";

// The upstream proto is only a yardstick for the wire contract; it is never read at run time.
const UPSTREAM_PROTO = "/work/shared/reference/csi/csi.proto";

interface FieldDescriptor {
  name: string;
  number: number;
  type: string;
  typeName: string;
  label: string;
}

function messageFields(def: protoLoader.PackageDefinition, fullName: string): FieldDescriptor[] {
  const entry = def[fullName] as unknown as { type?: { field: FieldDescriptor[] } } | undefined;
  if (!entry?.type) throw new Error(`message ${fullName} not in definition`);
  return entry.type.field.map(({ name, number, type, typeName, label }) => ({ name, number, type, typeName, label }));
}

function typeName(message: { type: unknown } | undefined): string | undefined {
  return (message?.type as { name?: string } | undefined)?.name;
}

describe("shared/csi proto", () => {
  it("exposes the Identity, Controller, GroupController and Node services under csi.v1", () => {
    const csi = loadCsi();
    expect(Object.keys(csi.Identity.service).sort()).toEqual(["GetPluginCapabilities", "GetPluginInfo", "Probe"]);
    expect(csi.Controller.service.CreateSnapshot.path).toBe("/csi.v1.Controller/CreateSnapshot");
    expect(csi.GroupController.service.CreateVolumeGroupSnapshot.path).toBe(
      "/csi.v1.GroupController/CreateVolumeGroupSnapshot",
    );
    expect(Object.keys(csi.Controller.service)).toContain("ControllerExpandVolume");
    expect(Object.keys(csi.Controller.service)).toContain("GetSnapshot");
    expect(Object.keys(csi.Node.service)).toEqual(["NodeGetCapabilities"]);
    expect(csi.Node.service.NodeGetCapabilities.path).toBe("/csi.v1.Node/NodeGetCapabilities");
  });

  it("loads once per process", () => {
    expect(loadCsi()).toBe(loadCsi());
  });

  it("names gRPC status codes", () => {
    expect(statusName(5)).toBe("NOT_FOUND");
    expect(statusName(11)).toBe("OUT_OF_RANGE");
    expect(statusName(99)).toBe("UNKNOWN");
  });

  describe.skipIf(!existsSync(UPSTREAM_PROTO))("matches the upstream CSI wire format", () => {
    it("every message field has the upstream name, number and type", () => {
      const ours = protoLoader.loadSync(CSI_PROTO_PATH, CSI_LOADER_OPTIONS);
      const upstream = protoLoader.loadSync(UPSTREAM_PROTO, CSI_LOADER_OPTIONS);
      const messageNames = Object.keys(ours).filter(
        (name) => name.startsWith("csi.v1.") && (ours[name] as { format?: string }).format === "Protocol Buffer 3 DescriptorProto",
      );
      expect(messageNames.length).toBeGreaterThan(40);
      for (const name of messageNames) {
        const upstreamFields = new Map(messageFields(upstream, name).map((f) => [f.number, f]));
        for (const field of messageFields(ours, name)) {
          expect({ message: name, ...upstreamFields.get(field.number) }).toEqual({ message: name, ...field });
        }
      }
    });

    it("every method has the upstream path and message types", () => {
      const ours = protoLoader.loadSync(CSI_PROTO_PATH, CSI_LOADER_OPTIONS);
      const upstream = protoLoader.loadSync(UPSTREAM_PROTO, CSI_LOADER_OPTIONS);
      for (const service of ["csi.v1.Identity", "csi.v1.Controller", "csi.v1.GroupController", "csi.v1.Node"]) {
        const mine = ours[service] as protoLoader.ServiceDefinition;
        const theirs = upstream[service] as protoLoader.ServiceDefinition;
        for (const [method, def] of Object.entries(mine)) {
          expect(theirs[method]?.path).toBe(def.path);
          expect(typeName(theirs[method]?.requestType)).toBe(typeName(def.requestType));
          expect(typeName(theirs[method]?.responseType)).toBe(typeName(def.responseType));
        }
      }
    });
  });
});
