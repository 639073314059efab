import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { decodeKubeProtobuf } from "./protobuf.js";

// Minimal protobuf writer for the test: length-delimited fields only.
function field(no: number, payload: Uint8Array | string): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  return Buffer.concat([varint((no << 3) | 2), varint(data.length), data]);
}
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
function envelope(kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([field(1, "v1"), field(2, kind)]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), field(1, typeMeta), field(2, raw), field(4, "application/vnd.kubernetes.protobuf")]);
}

describe("kube protobuf bodies", () => {
  it("decodes a Secret as kubectl create secret generic sends it", () => {
    const meta = Buffer.concat([field(1, "s1"), field(2, ""), field(11, Buffer.concat([field(1, "app"), field(2, "x")]))]);
    const raw = Buffer.concat([field(1, meta), field(2, Buffer.concat([field(1, "password"), field(2, Buffer.from([0xff, 0x00]))])), field(3, "Opaque")]);
    expect(decodeKubeProtobuf(envelope("Secret", raw))).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s1", labels: { app: "x" } },
      data: { password: Buffer.from([0xff, 0x00]).toString("base64") },
      type: "Opaque",
    });
  });

  it("decodes a Namespace and a ConfigMap, and refuses other kinds with 415", () => {
    expect(decodeKubeProtobuf(envelope("Namespace", field(1, field(1, "ns1"))))).toEqual({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ns1" } });
    const cm = Buffer.concat([field(1, field(1, "c")), field(2, Buffer.concat([field(1, "k"), field(2, "v")]))]);
    expect(decodeKubeProtobuf(envelope("ConfigMap", cm))).toMatchObject({ data: { k: "v" } });
    const err = (() => {
      try {
        decodeKubeProtobuf(envelope("Pod", field(1, field(1, "p"))));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(415);
  });
});
