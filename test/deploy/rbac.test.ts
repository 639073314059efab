// RBAC in serverless.yml against what each function really asks the API server for: the whole
// pipeline (watcher → NATS → dispatcher → functions, each function with its own API client and
// user agent) runs provisioning, restore, clone, expansion, a snapshot, a group snapshot and their
// deletion, a pre-provisioned snapshot with Retain, on the dev cluster. Its request log, per
// function, must be covered by the descriptor's rules; a rule the flows never reach must be backed
// by a direct call in the function's code (a static scan of `kube.<verb>(RESOURCES.<resource>`, and
// Event recording for functions whose plans emit Events — the recorder creates, then patches repeats).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { volumeGroupSnapshot, volumeSnapshot, waitUntil } from "../../bench/cluster/workload.js";
import { loadDescriptor } from "../../infra/deploy/descriptor.js";
import type { RequestLogEntry } from "../../infra/devcluster/index.js";
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { KubeApiError } from "../../shared/kube/types.js";
import type { VolumeGroupSnapshot, VolumeSnapshot } from "../../shared/api/snapshot.js";
import { startInProcessPipeline, type InProcessPipeline } from "../support/pipeline.js";

const descriptor = loadDescriptor();
const NS = "default";
const LIMIT = 60_000;
const requests: RequestLogEntry[] = [];
let pipeline: InProcessPipeline | undefined;

/** "group|resource[/subresource]|verb" for a request of the dev cluster's log. */
function permissionOf(e: RequestLogEntry): string | undefined {
  if (!e.verb || !e.resource) return undefined;
  const m = /^\/apis\/([^/]+)\//.exec(e.path);
  const group = m ? m[1]! : "";
  return `${group}|${e.resource}${e.subresource ? `/${e.subresource}` : ""}|${e.verb}`;
}

function granted(name: string): Set<string> {
  const spec = descriptor.functions.find((f) => f.name === name)!;
  const out = new Set<string>();
  for (const r of spec.rbac) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g}|${res}|${v}`);
  return out;
}

const FUNCTIONS_DIR = new URL("../../functions/", import.meta.url).pathname;
const VERB_OF: Record<string, string> = { get: "get", list: "list", create: "create", update: "update", patch: "patch", delete: "delete" };

/** Permissions a function's own code asks for directly (static scan of functions/<name>/, tests excluded). */
function staticPermissions(name: string): Set<string> {
  const out = new Set<string>();
  const dir = join(FUNCTIONS_DIR, name);
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".ts") || file.endsWith(".test.ts")) continue;
    const code = readFileSync(join(dir, file), "utf8");
    for (const m of code.matchAll(/kube\.(get|list|create|update|updateStatus|patch|delete)\b(?:<[^>]*>)?\(\s*RESOURCES\.([a-z]+)/g)) {
      const resource = RESOURCES[m[2] as keyof typeof RESOURCES];
      if (!resource) continue;
      out.add(m[1] === "updateStatus" ? `${resource.group}|${resource.plural}/status|update` : `${resource.group}|${resource.plural}|${VERB_OF[m[1]!]}`);
    }
    if (/op: "event"/.test(code)) {
      out.add("|events|create");
      out.add("|events|patch");
    }
  }
  return out;
}

function claim(name: string, o: { storage?: string; dataSource?: PersistentVolumeClaim["spec"]["dataSource"]; labels?: Record<string, string> } = {}): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: NS, ...(o.labels ? { labels: o.labels } : {}) },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: o.storage ?? "1Mi" } }, storageClassName: "standard", ...(o.dataSource ? { dataSource: o.dataSource } : {}) },
  } as PersistentVolumeClaim;
}

beforeAll(async () => {
  pipeline = await startInProcessPipeline({
    name: "rbac",
    clusters: [
      {
        name: "rbac",
        onRequest: (e) => {
          if (e.userAgent.startsWith("snapflow-fn/")) requests.push({ ...e });
        },
      },
    ],
    descriptor,
    perFunctionUserAgent: true,
  });
}, 90_000);

afterAll(async () => {
  await pipeline?.stop();
}, 60_000);

describe("RBAC rules of serverless.yml against the dev cluster's request log", () => {
  it("runs every function's flow: provision, snapshot, restore, clone, expand, group snapshot, deletion", async () => {
    const kube = pipeline!.clusters[0]!.kube;
    const get = <T>(resource: keyof typeof RESOURCES, name: string) => kube.get<T & { metadata: object }>(RESOURCES[resource], name, NS) as Promise<T | undefined>;
    const bound = (name: string) => async () => (await get<PersistentVolumeClaim>("persistentvolumeclaims", name))?.status?.phase === "Bound";

    await kube.create(RESOURCES.persistentvolumeclaims, claim("src", { labels: { group: "g" } }));
    await waitUntil("src Bound", bound("src"), LIMIT);
    await kube.create(RESOURCES.volumesnapshots, volumeSnapshot(NS, "snap", "src"));
    await waitUntil("snap ready", async () => (await get<VolumeSnapshot>("volumesnapshots", "snap"))?.status?.readyToUse === true, LIMIT);
    await kube.create(RESOURCES.persistentvolumeclaims, claim("restored", { dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap" } }));
    await kube.create(RESOURCES.persistentvolumeclaims, claim("clone", { labels: { group: "g" }, dataSource: { kind: "PersistentVolumeClaim", name: "src" } }));
    await waitUntil("restored and clone Bound", async () => (await bound("restored")()) && (await bound("clone")()), LIMIT);

    // The functions write the claim too: re-read and retry on a conflict, as any client must.
    for (let attempt = 0; ; attempt++) {
      const src = (await get<PersistentVolumeClaim>("persistentvolumeclaims", "src"))!;
      src.spec.resources!.requests!.storage = "2Mi";
      try {
        await kube.update(RESOURCES.persistentvolumeclaims, src);
        break;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.isConflict) || attempt > 20) throw err;
      }
    }
    await waitUntil("src expanded", async () => (await get<PersistentVolumeClaim>("persistentvolumeclaims", "src"))?.status?.capacity?.storage === "2Mi", LIMIT);

    await kube.create(RESOURCES.volumegroupsnapshots, volumeGroupSnapshot(NS, "grp", { group: "g" }));
    await waitUntil("group ready", async () => (await get<VolumeGroupSnapshot>("volumegroupsnapshots", "grp"))?.status?.readyToUse === true, LIMIT);

    await kube.delete(RESOURCES.volumegroupsnapshots, "grp", NS);
    await kube.delete(RESOURCES.volumesnapshots, "snap", NS);
    await waitUntil(
      "snapshots and contents gone",
      async () => (await kube.list(RESOURCES.volumesnapshots, { namespace: NS })).items.length + (await kube.list(RESOURCES.volumesnapshotcontents)).items.length + (await kube.list(RESOURCES.volumegroupsnapshotcontents)).items.length === 0,
      LIMIT,
    );
    // A pre-provisioned snapshot (static binding) with Retain: the content and backend snapshot stay.
    const volume = await pipeline!.storage.gateway.createVolume("hostpath.snapflow.dev", { name: "static-volume", requiredBytes: 1 << 20, capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }] });
    const backend = await pipeline!.storage.gateway.createSnapshot("hostpath.snapflow.dev", { name: "static-snapshot", sourceVolumeId: volume.volumeId });
    await kube.create(RESOURCES.volumesnapshotcontents, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotContent",
      metadata: { name: "static-content" },
      spec: { driver: "hostpath.snapflow.dev", deletionPolicy: "Retain", source: { snapshotHandle: backend.snapshotId }, volumeSnapshotRef: { name: "static", namespace: NS } },
    } as never);
    await kube.create(RESOURCES.volumesnapshots, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "static", namespace: NS }, spec: { source: { volumeSnapshotContentName: "static-content" } } } as never);
    await waitUntil("static snapshot ready", async () => (await get<VolumeSnapshot>("volumesnapshots", "static"))?.status?.readyToUse === true, LIMIT);
    await kube.delete(RESOURCES.volumesnapshots, "static", NS);
    await waitUntil("static snapshot gone, content retained and released", async () => (await get<VolumeSnapshot>("volumesnapshots", "static")) === undefined && (await kube.get(RESOURCES.volumesnapshotcontents, "static-content")) !== undefined, LIMIT);
    await kube.delete(RESOURCES.volumesnapshotcontents, "static-content");
    await waitUntil("retained content deleted", async () => (await kube.get(RESOURCES.volumesnapshotcontents, "static-content")) === undefined, LIMIT);
    expect((await pipeline!.storage.gateway.listSnapshots("hostpath.snapflow.dev", {})).entries.map((e) => e.snapshotId)).toEqual([backend.snapshotId]);
    await pipeline!.storage.gateway.deleteSnapshot("hostpath.snapflow.dev", { snapshotId: backend.snapshotId });
    await pipeline!.storage.gateway.deleteVolume("hostpath.snapflow.dev", { volumeId: volume.volumeId });

    for (const name of ["restored", "clone", "src"]) await kube.delete(RESOURCES.persistentvolumeclaims, name, NS);
    await waitUntil("claims and volumes gone", async () => (await kube.list(RESOURCES.persistentvolumeclaims, { namespace: NS })).items.length + (await kube.list(RESOURCES.persistentvolumes)).items.length === 0, LIMIT);
    expect((await pipeline!.storage.gateway.listSnapshots("hostpath.snapflow.dev", {})).entries).toEqual([]);
  }, 240_000);

  it.each(descriptor.functions.map((f) => f.name))("%s is granted exactly what it uses (request log, plus direct calls in its code)", (name) => {
    const used = new Set(requests.filter((e) => e.userAgent === `snapflow-fn/${name}`).map(permissionOf).filter((p): p is string => Boolean(p)));
    const inCode = staticPermissions(name);
    const grant = granted(name);
    const missing = [...used].filter((p) => !grant.has(p)).sort();
    // Creates are idempotent (DESIGN): on AlreadyExists the function reads what is there, a path a
    // clean run reaches only when a retry races, so a created resource may also be read.
    const createOrGet = new Set([...used].filter((p) => p.endsWith("|create")).map((p) => p.replace(/\|create$/, "|get")));
    const unused = [...grant].filter((p) => !used.has(p) && !inCode.has(p) && !createOrGet.has(p)).sort();
    expect(used.size, `${name} made no API requests at all`).toBeGreaterThan(0);
    expect({ missing, unused }, `${name}: used ${[...used].sort().join(" ")}`).toEqual({ missing: [], unused: [] });
  });
});
