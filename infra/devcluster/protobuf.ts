// Decodes the few protobuf bodies kubectl sends: its `create namespace|configmap|secret` generators
// POST the typed object as application/vnd.kubernetes.protobuf. The wire format is kube's envelope
// ("k8s\0" + runtime.Unknown) around the object's generated message; only the fields those kinds
// carry are mapped back to JSON.
import { errors } from "./errors.js";

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function readVarint(buf: Uint8Array, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new Error("truncated varint");
    const b = buf[pos.i++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: readVarint(buf, pos) });
    else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      if (pos.i + len > buf.length) throw new Error("truncated field");
      out.push({ no, wire, value: buf.subarray(pos.i, pos.i + len) });
      pos.i += len;
    } else if (wire === 1) pos.i += 8;
    else if (wire === 5) pos.i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const text = (v: Field["value"]) => Buffer.from(v as Uint8Array).toString("utf8");
const bytes = (v: Field["value"]) => v as Uint8Array;

function mapEntry(v: Field["value"], asBase64: boolean): [string, string] {
  let k = "";
  let val = "";
  for (const f of fields(bytes(v))) {
    if (f.no === 1) k = text(f.value);
    if (f.no === 2) val = asBase64 ? Buffer.from(bytes(f.value)).toString("base64") : text(f.value);
  }
  return [k, val];
}

function objectMeta(buf: Uint8Array): Record<string, unknown> {
  const meta: Record<string, any> = {};
  for (const f of fields(buf)) {
    switch (f.no) {
      // gogo-protobuf writes empty strings too; kube's JSON leaves them out.
      case 1:
        if (text(f.value)) meta.name = text(f.value);
        break;
      case 2:
        if (text(f.value)) meta.generateName = text(f.value);
        break;
      case 3:
        if (text(f.value)) meta.namespace = text(f.value);
        break;
      case 11:
        (meta.labels ??= {})[mapEntry(f.value, false)[0]] = mapEntry(f.value, false)[1];
        break;
      case 12:
        (meta.annotations ??= {})[mapEntry(f.value, false)[0]] = mapEntry(f.value, false)[1];
        break;
      case 14:
        (meta.finalizers ??= []).push(text(f.value));
        break;
    }
  }
  return meta;
}

function decodeKind(kind: string, raw: Uint8Array): Record<string, any> {
  const obj: Record<string, any> = {};
  for (const f of fields(raw)) {
    if (f.no === 1) {
      obj.metadata = objectMeta(bytes(f.value));
      continue;
    }
    switch (`${kind}/${f.no}`) {
      case "Namespace/2":
        obj.spec = { finalizers: fields(bytes(f.value)).filter((x) => x.no === 1).map((x) => text(x.value)) };
        break;
      case "ConfigMap/2": {
        const [k, v] = mapEntry(f.value, false);
        (obj.data ??= {})[k] = v;
        break;
      }
      case "ConfigMap/3": {
        const [k, v] = mapEntry(f.value, true);
        (obj.binaryData ??= {})[k] = v;
        break;
      }
      case "ConfigMap/4":
      case "Secret/5":
        obj.immutable = f.value !== 0n;
        break;
      case "Secret/2": {
        const [k, v] = mapEntry(f.value, true);
        (obj.data ??= {})[k] = v;
        break;
      }
      case "Secret/3":
        if (text(f.value)) obj.type = text(f.value);
        break;
      case "Secret/4": {
        const [k, v] = mapEntry(f.value, false);
        (obj.stringData ??= {})[k] = v;
        break;
      }
    }
  }
  return obj;
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** The JSON form of a protobuf-encoded Namespace, ConfigMap or Secret; 415 for anything else. */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  const unsupported = errors.unsupportedMediaType(["application/json", "application/yaml"]);
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) throw unsupported;
  try {
    let apiVersion = "";
    let kind = "";
    let raw: Uint8Array | undefined;
    for (const f of fields(body.subarray(4))) {
      if (f.no === 1) {
        for (const t of fields(bytes(f.value))) {
          if (t.no === 1) apiVersion = text(t.value);
          if (t.no === 2) kind = text(t.value);
        }
      }
      if (f.no === 2) raw = bytes(f.value);
    }
    if (apiVersion !== "v1" || !["Namespace", "ConfigMap", "Secret"].includes(kind) || !raw) throw unsupported;
    return { apiVersion, kind, ...decodeKind(kind, raw) };
  } catch (e) {
    if (e === unsupported) throw e;
    throw errors.badRequest(`unable to decode the protobuf body: ${(e as Error).message}`);
  }
}
