// The dev cluster's Api layer alone (no HTTP): the synchronous CPU of each verb on VolumeSnapshots
// (admission, CEL validation, patching, storing, the store's JSON), measured as the median time spent
// in the synchronous part of each call (the WAL's group commit is awaited outside the measurement).
//   node --import tsx bench/cluster/devcluster-api-micro.ts [n]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { snapshotCrds } from "../../infra/crds/index.js";
import { Api } from "../../infra/devcluster/api.js";
import { builtinResources } from "../../infra/devcluster/builtins.js";
import { CrdController } from "../../infra/devcluster/controllers/crds.js";
import { loadValidation } from "../../infra/devcluster/crd-validation.js";
import { Registry } from "../../infra/devcluster/registry.js";
import { Store } from "../../infra/devcluster/store.js";

const N = Number(process.argv[2] ?? 3000);
const dir = mkdtempSync(join(tmpdir(), "devcluster-api-micro-"));
const store = new Store({ dataDir: dir });
const registry = new Registry();
for (const def of builtinResources()) registry.add(def);
const validation = await loadValidation();
const api = new Api(store, registry, validation);
const crds = new CrdController(api, store, registry, validation, registry.get("apiextensions.k8s.io", "customresourcedefinitions")!);
await crds.install(snapshotCrds());
const nsDef = registry.get("", "namespaces")!;
await api.create(nsDef, "v1", undefined, { metadata: { name: "default" } });
await api.create(nsDef, "v1", undefined, { metadata: { name: "bench" } });
const def = registry.get("snapshot.storage.k8s.io", "volumesnapshots")!;

/** The median synchronous time of a call (the median shrugs off preemption on a busy machine). */
async function phase(name: string, fn: (i: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  const inflight: Array<Promise<unknown>> = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    inflight.push(fn(i));
    times.push(performance.now() - t0);
    if (inflight.length >= 16) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  times.sort((a, b) => a - b);
  return Math.round(times[times.length >> 1] * 1000 * 10) / 10;
}

const vs = (i: number) => ({
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshot",
  metadata: { name: `snap-${i}`, namespace: "bench", labels: { app: "bench" }, annotations: { "bench.snapflow.dev/i": String(i) } },
  spec: { volumeSnapshotClassName: "snapflow-hostpath", source: { persistentVolumeClaimName: `pvc-${i % 50}` } },
});
const out: Record<string, number> = {};
for (let round = 0; round < 2; round++) {
  const r = (s: string) => `${s}-${round}`;
  out.create = await phase("create", (i) => api.create(def, "v1", "bench", JSON.parse(JSON.stringify({ ...vs(i), metadata: { ...vs(i).metadata, name: r(`snap-${i}`) } })), { owned: true }));
  out.get = await phase("get", async (i) => api.get(def, "v1", "bench", r(`snap-${i}`)));
  out.patch = await phase("patch", (i) => api.patch(def, "v1", "bench", r(`snap-${i}`), "merge", JSON.stringify({ metadata: { finalizers: ["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"] } }), { owned: true }));
  out.putStatus = await phase("put status", (i) => {
    const o = JSON.parse(JSON.stringify(api.get(def, "v1", "bench", r(`snap-${i}`))));
    o.status = { boundVolumeSnapshotContentName: `snapcontent-${o.metadata.uid}`, readyToUse: false };
    return api.update(def, "v1", "bench", r(`snap-${i}`), o, { owned: true, subresource: "status" });
  });
  out.patchStatus = await phase("patch status", (i) =>
    api.patch(def, "v1", "bench", r(`snap-${i}`), "merge", JSON.stringify({ status: { readyToUse: true, restoreSize: "1Gi", creationTime: "2026-01-01T00:00:00Z" } }), { owned: true, subresource: "status" }),
  );
  out.delete = await phase("delete", (i) => api.delete(def, "v1", "bench", r(`snap-${i}`)));
}
process.stdout.write(`median µs of synchronous Api work per call (second round): ${JSON.stringify(out)}\n`);
await store.close();
rmSync(dir, { recursive: true, force: true });
