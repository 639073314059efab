// `npm run chaos:provision`: dynamic provisioning, restore, clone and expansion while `snapflow up`
// (watcher, dispatcher, function host, gateway, embedded hostpath driver) is killed with SIGKILL again
// and again (bench/support/chaos-host.ts: CHAOS_KILL_MS) and restarted; the dev cluster and
// nats-server are separate processes and survive.
// Workload, all through the API while the killer runs: CHAOS_CLAIMS (default 100) source claims of
// StorageClass `standard`; once Bound, a marker file with unique content written into each volume
// (the PV's `hostPath` volume attribute, where a pod would write) and a VolumeSnapshot of each; once
// ready, a restore claim from each snapshot (a quarter deleted as soon as provision's Provisioning
// Event shows, i.e. while CreateVolume's outcome is unknown), a clone of each source and an
// expansion of half the sources; 4 sources at a time go through these steps. Then everything is
// deleted, still under kills.
// Prints `kills: N`, `not bound: N` (a surviving claim not Bound to the one PV `pvc-<uid>`),
// `bound twice: N`, `lost data: N` (a restore or clone without its source's marker, an expansion that did not
// reach the PVC and PV), `leaked: N` (backend volumes no PV names, before and after the deletion),
// `duplicated: N` (more than one backend volume per `pvc-<uid>`, more than one PV per claim),
// what is left after the deletion, `stuck finalizers: N`, and exits non-zero when any count is above 0.
// Backend volumes are counted from the hostpath driver's own durable record, read while `snapflow
// up` is stopped: the driver offers no ListVolumes, and CSI's ListVolumes would not give the names.
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import { ensureDefaultObjects, HOSTPATH_DRIVER } from "../cli/stack/defaults.js";
import { FINALIZER as PROVISION_FINALIZER, REASONS } from "../functions/provision/constants.js";
import type { KubeEvent, PersistentVolume, PersistentVolumeClaim } from "../shared/api/core.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import type { VolumeSnapshot } from "../shared/api/snapshot.js";
import { createKubeClient } from "../shared/kube/http-client.js";
import { FINALIZERS as SNAPSHOT_FINALIZERS } from "../shared/snapshot/constants.js";
import { parseQuantity } from "../shared/snapshot/quantity.js";
import { readHostpathRecord } from "./support/backend.js";
import { countTransitions, startChaosStack, startKiller, type ChaosLog, type ChaosStack, type FunctionHost } from "./support/chaos-host.js";
import { pool } from "./support/pool.js";
import { waitUntil as waitFor } from "./support/wait.js";

const NAMESPACE = "chaos";
const CLASS = "standard";
const SIZE = "1Mi";
const EXPANDED = "2Mi";
const MARKER_FILE = "chaos-marker";
const PROVISIONING_REASON = REASONS.provisioning;
/** Sources going through their steps at the same time. */
const FLOWS = 4;
/** Finalizers the pipeline adds and must remove (provision's and the snapshot controller's). */
const MANAGED_FINALIZERS = new Set<string>([...Object.values(PROVISION_FINALIZER), ...Object.values(SNAPSHOT_FINALIZERS)]);

export interface ProvisionChaosOptions {
  claims: number;
  /** Upper bound of each waiting phase (claims bound, snapshots ready, everything gone). */
  limitMs?: number;
  /** false: no kills at random moments, only those `killMidFlight` places (a bounded run's fixed kills). Default true. */
  randomKills?: boolean;
  /**
   * Besides the random kills, kill right after the first source's VolumeSnapshot is created (the
   * other sources' claims and snapshots in flight), and right after every deletion is requested.
   * Not later in the creation phase: a kill that delays a deleted restore's check until its
   * snapshot is gone hits the known leak test/provision/leak-restore.test.ts pins, which the
   * random kills of a full run can hit and report.
   */
  killMidFlight?: boolean;
  /** Keep the working directory (logs, driver data) instead of removing it. */
  keep?: boolean;
  log?: ChaosLog;
}

export interface ProvisionChaosResult {
  claims: number;
  restores: number;
  restoresDeleted: number;
  clones: number;
  expanded: number;
  kills: number;
  seconds: number;
  /** Surviving claims not Bound to exactly one PV `pvc-<uid>` when the run stopped waiting. */
  notBound: number;
  /** Claims the watch saw become Bound more than once. */
  boundTwice: number;
  lostData: number;
  leaked: number;
  duplicated: number;
  /** After deleting everything: the driver's PVs, backend volumes and snapshots, API objects. */
  leftPvs: number;
  leftVolumes: number;
  leftSnapshots: number;
  leftObjects: number;
  stuckFinalizers: number;
  /** One line per problem found (which object, what was wrong). */
  details: string[];
}

export function summaryLines(r: ProvisionChaosResult): string[] {
  return [
    `claims: ${r.claims} sources, ${r.restores} restores (${r.restoresDeleted} deleted mid-flight), ${r.clones} clones, ${r.expanded} expanded`,
    `kills: ${r.kills}`,
    `seconds: ${r.seconds.toFixed(1)}`,
    `not bound: ${r.notBound}`,
    `bound twice: ${r.boundTwice}`,
    `lost data: ${r.lostData}`,
    `leaked: ${r.leaked}`,
    `duplicated: ${r.duplicated}`,
    `left after deletion: ${r.leftPvs} PVs, ${r.leftVolumes} backend volumes, ${r.leftSnapshots} backend snapshots, ${r.leftObjects} API objects`,
    `stuck finalizers: ${r.stuckFinalizers}`,
  ];
}

export function failed(r: ProvisionChaosResult): boolean {
  return [r.notBound, r.boundTwice, r.lostData, r.leaked, r.duplicated, r.leftPvs, r.leftVolumes, r.leftSnapshots, r.leftObjects, r.stuckFinalizers].some((n) => n > 0);
}

const pad = (i: number) => String(i).padStart(4, "0");

function claim(name: string, size: string, dataSource?: { kind: string; name: string; apiGroup?: string }): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: NAMESPACE },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } }, storageClassName: CLASS, ...(dataSource ? { dataSource } : {}) },
  };
}

/** Which claims provision has announced a CreateVolume for (its `Provisioning` Event), from a watch of the namespace's Events. */
async function watchProvisioning(kubeconfig: string): Promise<{ announced(uid: string, limitMs: number): Promise<boolean>; stop(): void }> {
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const req = await new Watch(kc).watch(
    `/api/v1/namespaces/${NAMESPACE}/events`,
    {},
    (_type: string, event: KubeEvent) => {
      const uid = event.involvedObject?.uid;
      if (event.reason !== PROVISIONING_REASON || !uid) return;
      seen.add(uid);
      waiting.get(uid)?.();
    },
    () => undefined,
  );
  return {
    announced: (uid, limitMs) =>
      seen.has(uid)
        ? Promise.resolve(true)
        : new Promise<boolean>((done) => {
            const timer = setTimeout(() => done(seen.has(uid)), limitMs);
            waiting.set(uid, () => {
              clearTimeout(timer);
              done(true);
            });
          }),
    stop: () => req.abort(),
  };
}

/**
 * The driver's record, read with `snapflow up` down (it owns the record while it runs), then
 * restarted when asked. Halted with SIGKILL, not stopped: the record is crash-safe (a restart reads
 * it the same way), and a graceful stop waits seconds for idle connections.
 */
async function backendRecord(host: FunctionHost, restart: boolean) {
  await host.halt();
  const record = await readHostpathRecord(host.hostpathDataDir);
  if (restart) await host.start();
  return record;
}

const hasManagedFinalizer = (o: KubeObject) => (o.metadata.finalizers ?? []).some((f) => MANAGED_FINALIZERS.has(f));

export async function runProvisionChaos(o: ProvisionChaosOptions): Promise<ProvisionChaosResult> {
  const log = o.log ?? (() => undefined);
  const limitMs = o.limitMs ?? 30 * 60_000;
  // Polled every 250 ms: the API under test is also serving the pipeline being killed.
  const waitUntil = (what: string, check: () => Promise<boolean>) => waitFor(what, check, limitMs, { everyMs: 250 });
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), "snapflow-chaos-provision-"));
  log(`working in ${dir}, ${o.claims} claims`);
  let stack: ChaosStack | undefined;
  let kube: ReturnType<typeof createKubeClient> | undefined;
  const watches: Array<{ stop(): void }> = [];
  try {
    stack = await startChaosStack(dir, log);
    const host = stack.host;
    const api = createKubeClient(stack.kubeconfig, { userAgent: "snapflow-chaos-provision" });
    kube = api;
    // The stack pre-creates these only in a dev cluster it starts itself; this one runs apart.
    await ensureDefaultObjects(api);
    await api.create(RESOURCES.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } as KubeObject);
    const provisioning = await watchProvisioning(stack.kubeconfig);
    watches.push(provisioning);
    const bindings = await countTransitions<PersistentVolumeClaim>(stack.kubeconfig, `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`, (c) => c.status?.phase === "Bound");
    watches.push(bindings);
    const details: string[] = [];
    const claims = () => api.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE }).then((l) => l.items);
    const driverPvs = () => api.list<PersistentVolume>(RESOURCES.persistentvolumes).then((l) => l.items.filter((pv) => pv.spec.csi?.driver === HOSTPATH_DRIVER));

    const indexes = Array.from({ length: o.claims }, (_, i) => i);
    const sources = indexes.map((i) => `src-${pad(i)}`);
    const expand = new Set(indexes.filter((i) => i % 2 === 0));
    const deleteRestore = new Set(indexes.filter((i) => i % 4 === 0));
    const markers = new Map<string, string>();

    const killer = startKiller(host, log, { random: o.randomKills ?? true });
    let notBound = 0;
    try {
      // Each source goes through its steps on its own, a few at a time, so that kills land between
      // every kind of step rather than after one phase finished for all.
      await pool(indexes, FLOWS, async (i) => {
        const source = sources[i]!;
        await api.create(RESOURCES.persistentvolumeclaims, claim(source, SIZE));
        let bound: PersistentVolumeClaim | undefined;
        await waitUntil(`${source} Bound`, async () => {
          bound = await api.get<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, source, NAMESPACE);
          return bound?.status?.phase === "Bound";
        });
        const pv = await api.get<PersistentVolume>(RESOURCES.persistentvolumes, bound!.spec.volumeName!);
        const path = pv?.spec.csi?.volumeAttributes?.hostPath;
        if (!path) throw new Error(`source ${source}: PV ${bound!.spec.volumeName} has no hostPath attribute`);
        const marker = `${source} ${randomUUID()}\n`;
        await writeFile(join(path, MARKER_FILE), marker);
        markers.set(source, marker);
        await api.create<VolumeSnapshot>(RESOURCES.volumesnapshots, {
          apiVersion: "snapshot.storage.k8s.io/v1",
          kind: "VolumeSnapshot",
          metadata: { name: source, namespace: NAMESPACE },
          spec: { source: { persistentVolumeClaimName: source } },
        });
        if (i === 0 && o.killMidFlight) killer.killSoon();
        await waitUntil(`snapshot ${source} ready`, async () => (await api.get<VolumeSnapshot>(RESOURCES.volumesnapshots, source, NAMESPACE))?.status?.readyToUse === true);
        const restore = await api.create(RESOURCES.persistentvolumeclaims, claim(`restore-${pad(i)}`, SIZE, { kind: "VolumeSnapshot", name: source, apiGroup: "snapshot.storage.k8s.io" }));
        if (deleteRestore.has(i)) {
          // provision writes its Provisioning Event just before CreateVolume: deleting the claim as
          // soon as the Event shows lands the deletion while the call's outcome is still unknown
          // (or, when the watch is slower than the call, on a claim just bound).
          if (!(await provisioning.announced(restore.metadata.uid!, limitMs))) log(`no Provisioning Event for ${restore.metadata.name}, deleting it anyway`);
          await api.delete(RESOURCES.persistentvolumeclaims, restore.metadata.name!, NAMESPACE);
        }
        // A clone must ask at least the source's request (upstream's clone check), which the expansion raises.
        await api.create(RESOURCES.persistentvolumeclaims, claim(`clone-${pad(i)}`, expand.has(i) ? EXPANDED : SIZE, { kind: "PersistentVolumeClaim", name: source }));
        if (expand.has(i)) await api.patch(RESOURCES.persistentvolumeclaims, source, NAMESPACE, { spec: { resources: { requests: { storage: EXPANDED } } } }, "merge");
      });
      log("restores, clones and expansions requested");
      const surviving = o.claims * 3 - deleteRestore.size;
      const settled = async () => {
        const all = await claims();
        const done = all.filter((c) => c.status?.phase === "Bound" && (!c.metadata.name!.startsWith("src-") || parseQuantity(c.status.capacity?.storage ?? "0") >= parseQuantity(c.spec.resources?.requests?.storage ?? "0")));
        return all.length === surviving && done.length === surviving;
      };
      await waitUntil("every claim Bound and every expansion done", settled).catch((err: Error) => log(err.message));
    } finally {
      await killer.stop();
    }
    log(`creation phase done after ${host.kills} kills`);

    // Checks while everything exists.
    const all = await claims();
    const pvs = await driverPvs();
    const pvByName = new Map(pvs.map((pv) => [pv.metadata.name!, pv]));
    const pvsPerClaim = new Map<string, number>();
    for (const pv of pvs) pvsPerClaim.set(pv.spec.claimRef?.uid ?? "", (pvsPerClaim.get(pv.spec.claimRef?.uid ?? "") ?? 0) + 1);
    for (const c of all) {
      const uid = c.metadata.uid!;
      const pv = pvByName.get(c.spec.volumeName ?? "");
      if (c.status?.phase !== "Bound" || c.spec.volumeName !== `pvc-${uid}` || pv?.spec.claimRef?.uid !== uid) {
        notBound++;
        details.push(`claim ${c.metadata.name}: phase ${c.status?.phase}, volumeName ${c.spec.volumeName ?? "-"}, PV claimRef uid ${pv?.spec.claimRef?.uid ?? "-"}`);
      }
    }
    let boundTwice = 0;
    for (const c of all) {
      if ((bindings.times.get(c.metadata.uid!) ?? 0) > 1) {
        boundTwice++;
        details.push(`claim ${c.metadata.name}: became Bound ${bindings.times.get(c.metadata.uid!)} times`);
      }
    }
    let lostData = 0;
    for (const c of all) {
      const name = c.metadata.name!;
      const i = Number(name.slice(name.indexOf("-") + 1));
      const pv = pvByName.get(c.spec.volumeName ?? "");
      if (name.startsWith("src-")) {
        if (!expand.has(i)) continue;
        const want = parseQuantity(EXPANDED);
        const onClaim = parseQuantity(c.status?.capacity?.storage ?? "0");
        const onPv = parseQuantity(pv?.spec.capacity?.storage ?? "0");
        if (onClaim < want || onPv < want) {
          lostData++;
          details.push(`expansion ${name}: claim capacity ${c.status?.capacity?.storage ?? "-"}, PV capacity ${pv?.spec.capacity?.storage ?? "-"}, wanted ${EXPANDED}`);
        }
        continue;
      }
      const want = markers.get(sources[i]!);
      const path = pv?.spec.csi?.volumeAttributes?.hostPath;
      const got = path ? await readFile(join(path, MARKER_FILE), "utf8").catch(() => undefined) : undefined;
      if (want === undefined || got !== want) {
        lostData++;
        details.push(`${name}: marker ${got === undefined ? "missing" : JSON.stringify(got)}, source ${sources[i]} wrote ${JSON.stringify(want)}`);
      }
    }

    const before = await backendRecord(host, true);
    const handles = new Set(pvs.map((pv) => pv.spec.csi!.volumeHandle));
    const unnamedBefore = before.volumes.filter((v) => !handles.has(v.id));
    for (const v of unnamedBefore) details.push(`backend volume ${v.id} (${v.name}) named by no PV while everything exists`);
    const perName = new Map<string, number>();
    for (const v of before.volumes) perName.set(v.name, (perName.get(v.name) ?? 0) + 1);
    let duplicated = 0;
    for (const [name, count] of perName) {
      if (count > 1) details.push(`backend volume name ${name}: ${count} volumes`);
      duplicated += Math.max(0, count - 1);
    }
    for (const [uid, count] of pvsPerClaim) {
      if (count > 1) details.push(`claim uid ${uid}: ${count} PVs`);
      duplicated += Math.max(0, count - 1);
    }
    log(`backend: ${before.volumes.length} volumes, ${before.snapshots.length} snapshots for ${all.length} claims`);

    // Delete everything, still killing.
    const killer2 = startKiller(host, log, { random: o.randomKills ?? true });
    try {
      await pool(all, 16, async (c) => {
        await api.delete(RESOURCES.persistentvolumeclaims, c.metadata.name!, NAMESPACE);
      });
      await pool(sources, 16, async (name) => {
        await api.delete(RESOURCES.volumesnapshots, name, NAMESPACE);
      });
      if (o.killMidFlight) killer2.killSoon();
      await waitUntil(
        "claims, snapshots, contents and PVs gone",
        async () =>
          (await api.list(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
          (await api.list(RESOURCES.volumesnapshots, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
          (await api.list(RESOURCES.volumesnapshotcontents, { limit: 1 })).items.length === 0 &&
          (await driverPvs()).length === 0,
      ).catch((err: Error) => log(err.message));
    } finally {
      await killer2.stop();
    }
    log(`deletion done after ${host.kills} kills in total`);

    const leftObjects = [
      ...(await claims()),
      ...(await api.list<KubeObject>(RESOURCES.volumesnapshots, { namespace: NAMESPACE })).items,
      ...(await api.list<KubeObject>(RESOURCES.volumesnapshotcontents)).items,
    ];
    const leftPvList = await driverPvs();
    for (const obj of [...leftObjects, ...leftPvList]) details.push(`left: ${obj.kind ?? ""} ${obj.metadata.name} finalizers ${JSON.stringify(obj.metadata.finalizers ?? [])} deleting ${obj.metadata.deletionTimestamp ?? "no"}`);
    const stuckFinalizers = [...leftObjects, ...leftPvList].filter(hasManagedFinalizer).length;
    const after = await backendRecord(host, false);
    const leftHandles = new Set(leftPvList.map((pv) => pv.spec.csi!.volumeHandle));
    const unnamedAfter = after.volumes.filter((v) => !leftHandles.has(v.id));
    for (const v of after.volumes) details.push(`backend volume ${v.id} (${v.name}) left after deletion`);
    for (const s of after.snapshots) details.push(`backend snapshot ${s.id} (${s.name}) left after deletion`);

    return {
      claims: o.claims,
      restores: o.claims,
      restoresDeleted: deleteRestore.size,
      clones: o.claims,
      expanded: expand.size,
      kills: host.kills,
      seconds: (Date.now() - started) / 1000,
      notBound,
      boundTwice,
      lostData,
      leaked: unnamedBefore.length + unnamedAfter.length,
      duplicated,
      leftPvs: leftPvList.length,
      leftVolumes: after.volumes.length,
      leftSnapshots: after.snapshots.length,
      leftObjects: leftObjects.length,
      stuckFinalizers,
      details,
    };
  } finally {
    for (const w of watches) w.stop();
    kube?.close();
    await stack?.close();
    if (!o.keep) await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const log = (line: string) => process.stderr.write(`[chaos:provision ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  runProvisionChaos({ claims: Number(process.env.CHAOS_CLAIMS ?? 100), keep: !!process.env.CHAOS_KEEP, log }).then(
    (result) => {
      for (const line of result.details) log(line);
      process.stdout.write(summaryLines(result).map((l) => `${l}\n`).join(""));
      process.exit(failed(result) ? 1 : 0);
    },
    (err: unknown) => {
      process.stderr.write(`chaos:provision failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(2);
    },
  );
}
