// A small EC2-compatible HTTP endpoint for integration tests: the EC2 Query protocol (form-encoded
// Action=..., XML answers in the EC2 namespace, <Response><Errors> on failure) for the handful of
// actions the aws-ebs backend uses, over an in-memory model of volumes, instances, snapshots and
// volume modifications. Not a simulator of EC2's every rule: just enough state and state
// transitions (pending → completed, creating → available, modifying → optimizing → completed)
// to run the backend against real HTTP with a real SDK client.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

export interface FakeVolume {
  id: string;
  size: number;
  zone: string;
  type: string;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  snapshotId?: string;
  sourceVolumeId?: string;
  state: "creating" | "available" | "in-use" | "error";
  tags: Record<string, string>;
  attachments: Array<{ instanceId: string; device: string }>;
  clientToken?: string;
  createTime: Date;
  /** DescribeVolumes answers "creating" this many more times. */
  creatingReads: number;
}

export interface FakeSnapshot {
  id: string;
  volumeId: string;
  size: number;
  state: "pending" | "completed" | "error";
  startTime: Date;
  description?: string;
  tags: Record<string, string>;
  /** DescribeSnapshots answers "pending" this many more times. */
  pendingReads: number;
}

export interface FakeModification {
  volumeId: string;
  state: "modifying" | "optimizing" | "completed" | "failed";
  originalSize: number;
  targetSize: number;
  startTime: Date;
  /** DescribeVolumesModifications answers "modifying" this many more times. */
  modifyingReads: number;
}

export interface FakeInstance {
  id: string;
  rootDeviceName: string;
}

export interface RecordedRequest {
  action: string;
  params: Record<string, string>;
  /** From the SigV4 Authorization header: proves credentials and region came through. */
  accessKeyId?: string;
  region?: string;
  service?: string;
}

export interface FakeEc2Options {
  /** Reads of a new snapshot that still say pending (default 1). */
  snapshotPendingReads?: number;
  /** Reads of a new volume that still say creating (default 1). */
  volumeCreatingReads?: number;
  /** Reads of a new modification that still say modifying (default 1). */
  modifyingReads?: number;
}

export interface FakeEc2 {
  url: string;
  volumes: Map<string, FakeVolume>;
  snapshots: Map<string, FakeSnapshot>;
  instances: Map<string, FakeInstance>;
  modifications: FakeModification[];
  requests: RecordedRequest[];
  addInstance(id: string, rootVolume: { id: string; size?: number; device?: string }): FakeInstance;
  addVolume(id: string, init?: Partial<FakeVolume>): FakeVolume;
  attach(volumeId: string, instanceId: string, device: string): void;
  /** The next `times` calls of `action` fail with `code` (HTTP `status`, 400 by default). */
  failNext(action: string, code: string, times?: number, status?: number, message?: string): void;
  actions(): string[];
  close(): Promise<void>;
}

class Ec2Fault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

// ---- Query-protocol parameters -------------------------------------------------------------

/** Values of `prefix.1`, `prefix.2`, ... in index order. */
function list(params: Record<string, string>, prefix: string): string[] {
  const out: Array<[number, string]> = [];
  const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)$`);
  for (const [k, v] of Object.entries(params)) {
    const m = re.exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** Sub-parameter maps of `prefix.N.*`, e.g. Filter.1.Name / Filter.1.Value.1. */
function structs(params: Record<string, string>, prefix: string): Array<Record<string, string>> {
  const byIndex = new Map<number, Record<string, string>>();
  const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)\\.(.+)$`);
  for (const [k, v] of Object.entries(params)) {
    const m = re.exec(k);
    if (!m) continue;
    const idx = Number(m[1]);
    if (!byIndex.has(idx)) byIndex.set(idx, {});
    byIndex.get(idx)![m[2]!] = v;
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

function tagsFrom(params: Record<string, string>, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of structs(params, "TagSpecification")) {
    if (spec.ResourceType !== resourceType) continue;
    for (const t of structs(spec, "Tag")) if (t.Key !== undefined) tags[t.Key] = t.Value ?? "";
  }
  return tags;
}

function filtersFrom(params: Record<string, string>): Array<{ name: string; values: string[] }> {
  return structs(params, "Filter").map((f) => ({ name: f.Name ?? "", values: list(f, "Value") }));
}

function int(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

// ---- XML ------------------------------------------------------------------------------------

type XmlValue = string | number | boolean | Date | undefined | XmlValue[] | { [k: string]: XmlValue };

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function xml(name: string, value: XmlValue): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return `<${name}>${value.map((v) => xml("item", v)).join("")}</${name}>`;
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === "object") return `<${name}>${Object.entries(value).map(([k, v]) => xml(k, v)).join("")}</${name}>`;
  return `<${name}>${escape(String(value))}</${name}>`;
}

function tagSet(tags: Record<string, string>): XmlValue[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

// ---- the server ------------------------------------------------------------------------------

export async function startFakeEc2(opts: FakeEc2Options = {}): Promise<FakeEc2> {
  const volumes = new Map<string, FakeVolume>();
  const snapshots = new Map<string, FakeSnapshot>();
  const instances = new Map<string, FakeInstance>();
  const modifications: FakeModification[] = [];
  const requests: RecordedRequest[] = [];
  const faults: Array<{ action: string; code: string; times: number; status: number; message?: string }> = [];
  let seq = 0;
  const newId = (prefix: string) => `${prefix}-${(++seq).toString(16).padStart(17, "0")}`;

  const volumeXml = (v: FakeVolume): XmlValue => ({
    volumeId: v.id,
    size: v.size,
    snapshotId: v.snapshotId ?? "",
    sourceVolumeId: v.sourceVolumeId,
    availabilityZone: v.zone,
    status: v.state,
    createTime: v.createTime,
    volumeType: v.type,
    iops: v.iops,
    throughput: v.throughput,
    encrypted: v.encrypted,
    kmsKeyId: v.kmsKeyId,
    attachmentSet: v.attachments.map((a) => ({ volumeId: v.id, instanceId: a.instanceId, device: a.device, status: "attached" })),
    tagSet: tagSet(v.tags),
  });

  const snapshotXml = (s: FakeSnapshot, stateKey: "status" | "state"): XmlValue => ({
    snapshotId: s.id,
    volumeId: s.volumeId,
    [stateKey]: s.state,
    startTime: s.startTime,
    progress: s.state === "completed" ? "100%" : "0%",
    ownerId: "111122223333",
    volumeSize: s.size,
    description: s.description,
    encrypted: false,
    tagSet: tagSet(s.tags),
  });

  const modificationXml = (m: FakeModification): XmlValue => ({
    volumeId: m.volumeId,
    modificationState: m.state,
    targetSize: m.targetSize,
    originalSize: m.originalSize,
    progress: m.state === "modifying" ? 10 : 100,
    startTime: m.startTime,
  });

  function volume(id: string): FakeVolume {
    const v = volumes.get(id);
    if (!v) throw new Ec2Fault("InvalidVolume.NotFound", `The volume '${id}' does not exist.`);
    return v;
  }

  function readSnapshot(s: FakeSnapshot): FakeSnapshot {
    if (s.state === "pending") {
      if (s.pendingReads > 0) s.pendingReads--;
      else s.state = "completed";
    }
    return s;
  }

  function readVolume(v: FakeVolume): FakeVolume {
    if (v.state === "creating") {
      if (v.creatingReads > 0) v.creatingReads--;
      else v.state = v.attachments.length ? "in-use" : "available";
    }
    return v;
  }

  function readModification(m: FakeModification): FakeModification {
    if (m.state === "modifying") {
      if (m.modifyingReads > 0) m.modifyingReads--;
      else m.state = "optimizing";
    } else if (m.state === "optimizing") {
      m.state = "completed";
    }
    return m;
  }

  function createVolumeFrom(p: Record<string, string>, base: Partial<FakeVolume>): FakeVolume {
    const token = p.ClientToken;
    if (token) {
      const prior = [...volumes.values()].find((v) => v.clientToken === token);
      if (prior) {
        const size = int(p.Size);
        if (size !== undefined && size !== prior.size) {
          throw new Ec2Fault("IdempotentParameterMismatch", "The client token you have provided is associated with a resource with different parameters.");
        }
        return prior;
      }
    }
    const v: FakeVolume = {
      id: newId("vol"),
      size: 1,
      zone: "",
      type: p.VolumeType ?? "gp2",
      iops: int(p.Iops),
      throughput: int(p.Throughput),
      encrypted: p.Encrypted === "true",
      kmsKeyId: p.KmsKeyId,
      state: "creating",
      tags: tagsFrom(p, "volume"),
      attachments: [],
      clientToken: token,
      createTime: new Date(),
      creatingReads: opts.volumeCreatingReads ?? 1,
      ...base,
    };
    volumes.set(v.id, v);
    return v;
  }

  const handlers: Record<string, (p: Record<string, string>) => XmlValue | Record<string, XmlValue>> = {
    DescribeSnapshots(p) {
      const ids = list(p, "SnapshotId");
      let found: FakeSnapshot[];
      if (ids.length) {
        found = ids.map((id) => {
          const s = snapshots.get(id);
          if (!s) throw new Ec2Fault("InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`);
          return s;
        });
      } else {
        found = [...snapshots.values()];
      }
      for (const f of filtersFrom(p)) {
        if (f.name.startsWith("tag:")) {
          const key = f.name.slice(4);
          found = found.filter((s) => s.tags[key] !== undefined && f.values.includes(s.tags[key]!));
        } else if (f.name === "volume-id") {
          found = found.filter((s) => f.values.includes(s.volumeId));
        } else {
          throw new Ec2Fault("InvalidParameterValue", `The filter '${f.name}' is invalid`);
        }
      }
      const max = int(p.MaxResults);
      const start = p.NextToken ? Number(p.NextToken) : 0;
      const page = max === undefined ? found.slice(start) : found.slice(start, start + max);
      const next = max !== undefined && start + max < found.length ? String(start + max) : undefined;
      return { snapshotSet: page.map((s) => snapshotXml(readSnapshot(s), "status")), nextToken: next };
    },

    CreateSnapshot(p) {
      const v = volume(p.VolumeId ?? "");
      const s: FakeSnapshot = {
        id: newId("snap"),
        volumeId: v.id,
        size: v.size,
        state: "pending",
        startTime: new Date(),
        description: p.Description,
        tags: tagsFrom(p, "snapshot"),
        pendingReads: opts.snapshotPendingReads ?? 1,
      };
      snapshots.set(s.id, s);
      return snapshotXml(s, "status") as Record<string, XmlValue>;
    },

    CreateSnapshots(p) {
      const instanceId = p["InstanceSpecification.InstanceId"] ?? "";
      const inst = instances.get(instanceId);
      if (!inst) throw new Ec2Fault("InvalidInstanceID.NotFound", `The instance ID '${instanceId}' does not exist`);
      const excludeBoot = p["InstanceSpecification.ExcludeBootVolume"] === "true";
      const excluded = new Set(list(p, "InstanceSpecification.ExcludeDataVolumeId"));
      const attached = [...volumes.values()].filter((v) => v.attachments.some((a) => a.instanceId === instanceId));
      const boot = attached.find((v) => v.attachments.some((a) => a.instanceId === instanceId && a.device === inst.rootDeviceName));
      if (boot && excluded.has(boot.id)) throw new Ec2Fault("InvalidParameterValue", "The boot volume cannot be excluded through ExcludeDataVolumeIds");
      const cut = attached.filter((v) => !(excludeBoot && v === boot) && !excluded.has(v.id));
      const tags = tagsFrom(p, "snapshot");
      const startTime = new Date();
      const made = cut.map((v) => {
        const s: FakeSnapshot = {
          id: newId("snap"),
          volumeId: v.id,
          size: v.size,
          state: "pending",
          startTime,
          description: p.Description,
          tags: { ...tags },
          pendingReads: opts.snapshotPendingReads ?? 1,
        };
        snapshots.set(s.id, s);
        return s;
      });
      return { snapshotSet: made.map((s) => snapshotXml(s, "state")) };
    },

    DeleteSnapshot(p) {
      const id = p.SnapshotId ?? "";
      if (!snapshots.delete(id)) throw new Ec2Fault("InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`);
      return { return: true };
    },

    DescribeVolumes(p) {
      const ids = list(p, "VolumeId");
      const found = ids.length ? ids.map(volume) : [...volumes.values()];
      return { volumeSet: found.map((v) => volumeXml(readVolume(v))) };
    },

    CreateVolume(p) {
      if (!p.AvailabilityZone) throw new Ec2Fault("MissingParameter", "The request must contain the parameter AvailabilityZone");
      let size = int(p.Size);
      if (p.SnapshotId) {
        const s = snapshots.get(p.SnapshotId);
        if (!s) throw new Ec2Fault("InvalidSnapshot.NotFound", `The snapshot '${p.SnapshotId}' does not exist.`);
        if (size !== undefined && size < s.size) {
          throw new Ec2Fault("InvalidParameterValue", `Volume of ${size}GiB is too small; minimum is ${s.size}GiB.`);
        }
        size ??= s.size;
      }
      if (size === undefined) throw new Ec2Fault("MissingParameter", "The request must contain the parameter size or snapshotId");
      const v = createVolumeFrom(p, { size, zone: p.AvailabilityZone, snapshotId: p.SnapshotId });
      return volumeXml(v) as Record<string, XmlValue>;
    },

    CopyVolumes(p) {
      const src = volume(p.SourceVolumeId ?? "");
      const v = createVolumeFrom(p, { size: int(p.Size) ?? src.size, zone: src.zone, sourceVolumeId: src.id, encrypted: src.encrypted });
      return { volumeSet: [volumeXml(v)] };
    },

    DeleteVolume(p) {
      const v = volume(p.VolumeId ?? "");
      if (v.attachments.length) throw new Ec2Fault("VolumeInUse", `Volume ${v.id} is currently attached to ${v.attachments[0]!.instanceId}`);
      volumes.delete(v.id);
      return { return: true };
    },

    ModifyVolume(p) {
      const v = volume(p.VolumeId ?? "");
      const size = int(p.Size);
      if (size === undefined) throw new Ec2Fault("MissingParameter", "nothing to modify");
      if (size < v.size) throw new Ec2Fault("InvalidParameterValue", `New size (${size}) cannot be smaller than existing size (${v.size})`);
      if (modifications.some((m) => m.volumeId === v.id && m.state === "modifying")) {
        throw new Ec2Fault("IncorrectModificationState", `Volume ${v.id} is already being modified`);
      }
      const m: FakeModification = {
        volumeId: v.id,
        state: "modifying",
        originalSize: v.size,
        targetSize: size,
        startTime: new Date(Date.now() + modifications.length),
        modifyingReads: opts.modifyingReads ?? 1,
      };
      modifications.push(m);
      v.size = size;
      return { volumeModification: modificationXml(m) };
    },

    DescribeVolumesModifications(p) {
      const ids = list(p, "VolumeId");
      ids.forEach(volume);
      const found = modifications.filter((m) => ids.length === 0 || ids.includes(m.volumeId));
      if (ids.length && found.length === 0) {
        throw new Ec2Fault("InvalidVolumeModification.NotFound", `Modification for volume '${ids[0]}' does not exist.`);
      }
      return { volumeModificationSet: found.map((m) => modificationXml(readModification(m))) };
    },

    DescribeInstances(p) {
      const ids = list(p, "InstanceId");
      const found = ids.map((id) => {
        const i = instances.get(id);
        if (!i) throw new Ec2Fault("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
        return i;
      });
      return {
        reservationSet: found.map((i) => ({
          reservationId: `r-${i.id}`,
          ownerId: "111122223333",
          instancesSet: [
            {
              instanceId: i.id,
              rootDeviceName: i.rootDeviceName,
              rootDeviceType: "ebs",
              blockDeviceMapping: [...volumes.values()].flatMap((v) =>
                v.attachments
                  .filter((a) => a.instanceId === i.id)
                  .map((a) => ({ deviceName: a.device, ebs: { volumeId: v.id, status: "attached", deleteOnTermination: false } })),
              ),
            },
          ],
        })),
      };
    },
  };

  function addVolume(id: string, init: Partial<FakeVolume> = {}): FakeVolume {
    const v: FakeVolume = {
      id,
      size: 10,
      zone: "eu-west-1a",
      type: "gp3",
      encrypted: false,
      state: "available",
      tags: {},
      attachments: [],
      createTime: new Date(),
      creatingReads: 0,
      ...init,
    };
    volumes.set(id, v);
    return v;
  }

  function attach(volumeId: string, instanceId: string, device: string): void {
    const v = volume(volumeId);
    v.attachments.push({ instanceId, device });
    v.state = "in-use";
  }

  async function body(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { "content-type": "text/xml;charset=UTF-8", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const requestId = `req-${++seq}`;
      const params = Object.fromEntries(new URLSearchParams(await body(req)));
      const action = params.Action ?? "";
      // SigV4: "AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request, ..."
      const cred = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? "");
      requests.push({ action, params, accessKeyId: cred?.[1], region: cred?.[2], service: cred?.[3] });
      try {
        const fault = faults.find((f) => f.action === action && f.times > 0);
        if (fault) {
          fault.times--;
          throw new Ec2Fault(fault.code, fault.message ?? `${fault.code} (injected)`, fault.status);
        }
        const handler = handlers[action];
        if (!handler) throw new Ec2Fault("InvalidAction", `The action ${action} is not valid for this web service.`);
        const result = handler(params) as Record<string, XmlValue>;
        const inner = Object.entries(result).map(([k, v]) => xml(k, v)).join("");
        send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}"><requestId>${requestId}</requestId>${inner}</${action}Response>`);
      } catch (err) {
        const f = err instanceof Ec2Fault ? err : new Ec2Fault("InternalError", (err as Error).message, 500);
        send(
          res,
          f.status,
          `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escape(f.code)}</Code><Message>${escape(f.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
        );
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    volumes,
    snapshots,
    instances,
    modifications,
    requests,
    addInstance(id, rootVolume) {
      const inst: FakeInstance = { id, rootDeviceName: rootVolume.device ?? "/dev/xvda" };
      instances.set(id, inst);
      addVolume(rootVolume.id, { size: rootVolume.size ?? 8 });
      attach(rootVolume.id, id, inst.rootDeviceName);
      return inst;
    },
    addVolume,
    attach,
    failNext(action, code, times = 1, status = 400, message) {
      faults.push({ action, code, times, status, message });
    },
    actions() {
      return requests.map((r) => r.action);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
