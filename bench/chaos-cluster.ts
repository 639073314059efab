// `npm run chaos:cluster`: snapflow distributed on one machine — a three-node NATS JetStream cluster
// (streams replicated ×3), two `snapflow functions` processes, two dispatchers, one watcher, the dev
// cluster and the hostpath driver — while N snapshots and G group snapshots are cut, one NATS node
// and one function host are killed with SIGKILL and brought back. Afterwards the snapshot chaos
// invariants: every object ready exactly once, one content each, no leaked or duplicated backend
// snapshot (asked of the driver), nothing left after deletion.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "../cli/stack/nats-server.js";
import { ensureStreams, K8S_STREAM, type DeliveryPolicy } from "../events/jetstream/index.js";
import { loadDescriptor } from "../infra/deploy/descriptor.js";
import { RESOURCES } from "../shared/api/resources.js";
import { jetStreamReady, startNatsCluster, type NatsCluster } from "./cluster/nats-cluster.js";
import {
  describedFunctions,
  natsConnect,
  startChildFunctionHost,
  startClusterUnderTest,
  startInProcessFunctions,
  startPipelineDispatcher,
  startPipelineWatcher,
  startStorage,
  type ChildFunctionHost,
  type ClusterUnderTest,
  type RunningDispatcher,
  type RunningWatcher,
  type Storage,
} from "./cluster/pipeline.js";
import { checkReadyState, createBoundClaim, deleteAndCheck, pool, ReadinessWatch, volumeGroupSnapshot, volumeSnapshot, waitUntil } from "./cluster/workload.js";

export interface ClusterChaosOptions {
  snapshots: number;
  groups: number;
  /** Claims per group (each group selects its own claims). */
  groupSize?: number;
  /** 3: the JetStream cluster with a node killed; 1: one nats-server, no NATS kill (the baseline). */
  natsNodes?: 1 | 3;
  killNatsNode?: boolean;
  killFunctionHost?: boolean;
  /**
   * "processes" (default): two `snapflow functions` child processes, one behind each dispatcher.
   * "in-process": one function host inside this process (faster to start; no host to kill).
   */
  functionHosts?: "processes" | "in-process";
  /** Upper bound for the ready and the deletion phase each. */
  limitMs?: number;
  log?: (line: string) => void;
}

export interface ClusterChaosResult {
  snapshots: number;
  groups: number;
  natsNodes: number;
  streamReplicas: number;
  /** First create to every snapshot and group ready. */
  readySeconds: number;
  /** Delete requests to nothing left. */
  deleteSeconds: number;
  totalSeconds: number;
  kills: string[];
  /** Kills that happened before every object was ready, i.e. while the pipeline was working. */
  killsDuringRun: number;
  leaked: number;
  duplicated: number;
  stuckFinalizers: number;
  details: string[];
}

const NAMESPACE = "chaos";
const POLICY: DeliveryPolicy = { ackWaitMs: 5_000, maxDeliver: 100, backoffMs: [], maxAckPending: 1_000 };

export async function runClusterChaos(options: ClusterChaosOptions): Promise<ClusterChaosResult> {
  const log = options.log ?? (() => undefined);
  const natsNodes = options.natsNodes ?? 3;
  const groupSize = options.groupSize ?? 2;
  const limitMs = options.limitMs ?? 600_000;
  const replicas = natsNodes === 3 ? 3 : 1;
  const dir = await mkdtemp(join(tmpdir(), "snapflow-chaos-cluster-"));
  const began = performance.now();
  const stamp = () => `+${((performance.now() - began) / 1000).toFixed(1)}s`;
  const kills: string[] = [];
  const killTimes: number[] = [];

  let natsCluster: NatsCluster | undefined;
  let natsSingle: NatsServerHandle | undefined;
  let cluster: ClusterUnderTest | undefined;
  let storage: Storage | undefined;
  const hosts: ChildFunctionHost[] = [];
  const dispatchers: RunningDispatcher[] = [];
  let watcher: RunningWatcher | undefined;
  let readiness: ReadinessWatch | undefined;
  let progressLog: NodeJS.Timeout | undefined;
  let closeLocal: (() => void) | undefined;
  try {
    let urls: string[];
    if (natsNodes === 3) {
      natsCluster = await startNatsCluster({ dir: join(dir, "nats") });
      urls = natsCluster.urls;
      await jetStreamReady(urls);
    } else {
      natsSingle = await startNatsServer({ dir: join(dir, "nats") });
      urls = [natsSingle.url];
    }
    const admin = await natsConnect(urls, "snapflow-chaos-admin");
    await ensureStreams(await jetstreamManager(admin), { replicas });
    log(`${stamp()} NATS up: ${urls.join(" ")} (streams ×${replicas})`);

    cluster = await startClusterUnderTest(dir, "chaos");
    storage = await startStorage(dir, cluster.kubeconfig);
    const kube = cluster.kube;
    await kube.create(RESOURCES.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    const claims = Array.from({ length: options.snapshots }, (_, i) => `data-${String(i).padStart(4, "0")}`);
    const groupClaims = Array.from({ length: options.groups * groupSize }, (_, i) => ({ name: `member-${String(i).padStart(3, "0")}`, group: `g${Math.floor(i / groupSize)}` }));
    await pool([...claims.map((name) => ({ name, group: "" })), ...groupClaims], 32, async (c) => {
      await createBoundClaim(kube, storage!.gateway, NAMESPACE, c.name, c.group ? { group: c.group } : {});
    });
    log(`${stamp()} ${claims.length + groupClaims.length} claims created`);

    const descriptor = loadDescriptor();
    const functions = await describedFunctions(descriptor);
    const inProcess = options.functionHosts === "in-process";
    if (inProcess) {
      const local = startInProcessFunctions(functions, [cluster], storage);
      closeLocal = () => local.close();
      for (let i = 0; i < 2; i++) {
        dispatchers.push(
          await startPipelineDispatcher({ natsUrls: urls, cluster: cluster.name, functions, descriptor, deliver: (name) => ({ url: `http://in-process/${name}`, deliver: local.deliverFor(name) }), policy: POLICY, replicas }),
        );
      }
    } else {
      hosts.push(...(await Promise.all([startChildFunctionHost([cluster], storage), startChildFunctionHost([cluster], storage)])));
      for (const host of hosts) {
        dispatchers.push(
          await startPipelineDispatcher({ natsUrls: urls, cluster: cluster.name, functions, descriptor, deliver: (name) => ({ url: `${host.url}/${name}` }), policy: POLICY, replicas }),
        );
      }
    }
    watcher = await startPipelineWatcher({ natsUrls: urls, cluster, replicas });
    readiness = new ReadinessWatch(cluster.kubeconfig);
    await readiness.start([`/apis/snapshot.storage.k8s.io/v1/namespaces/${NAMESPACE}/volumesnapshots`, `/apis/groupsnapshot.storage.k8s.io/v1/namespaces/${NAMESPACE}/volumegroupsnapshots`]);
    await waitUntil(
      "claims Bound",
      async () => (await kube.list(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE })).items.filter((p) => (p as { status?: { phase?: string } }).status?.phase === "Bound").length === claims.length + groupClaims.length,
      120_000,
    );
    log(`${stamp()} pipeline up: ${inProcess ? "function host in-process" : `2 function hosts (pids ${hosts.map((h) => h.pid()).join(", ")})`}, 2 dispatchers, 1 watcher`);

    // ---- the run: everything created at once, the kills while it works ----
    const readyStart = performance.now();
    const expectedGroups = options.groups;
    // Counted from the watch, not by listing: polling lists of hundreds of objects would load the API server under test.
    const readyCounts = async () => ({ snapshots: readiness!.readyNow("VolumeSnapshot"), groups: readiness!.readyNow("VolumeGroupSnapshot") });
    progressLog = setInterval(() => log(`${stamp()} ready: ${readiness!.readyNow("VolumeSnapshot")}/${options.snapshots} snapshots, ${readiness!.readyNow("VolumeGroupSnapshot")}/${options.groups} groups`), 10_000);
    const creating = pool(
      [...claims.map((c) => ({ kind: "vs" as const, name: c })), ...Array.from({ length: options.groups }, (_, g) => ({ kind: "vgs" as const, name: `g${g}` }))],
      32,
      async (item) => {
        if (item.kind === "vs") await kube.create(RESOURCES.volumesnapshots, volumeSnapshot(NAMESPACE, `snap-${item.name}`, item.name));
        else await kube.create(RESOURCES.volumegroupsnapshots, volumeGroupSnapshot(NAMESPACE, `group-${item.name}`, { group: item.name }));
      },
    );
    const chaos = (async () => {
      const progress = async (fraction: number) =>
        waitUntil(`${Math.round(fraction * 100)} % ready`, async () => (await readyCounts()).snapshots >= Math.floor(options.snapshots * fraction), limitMs, 100);
      if (natsCluster && options.killNatsNode !== false) {
        await progress(0.15);
        // The node leading the event stream: its loss forces a leader election mid-run.
        const info = await (await jetstreamManager(admin)).streams.info(K8S_STREAM);
        const victim = natsCluster.nodes.find((n) => n.name === info.cluster?.leader) ?? natsCluster.nodes[1]!;
        await victim.kill();
        killTimes.push(performance.now());
        kills.push(`${stamp()} kill -9 nats ${victim.name} (leader of ${K8S_STREAM})`);
        log(kills[kills.length - 1]!);
        await sleep(2_000);
        await victim.start();
        log(`${stamp()} nats ${victim.name} back`);
      }
      if (options.killFunctionHost !== false && hosts.length > 0) {
        await progress(0.4);
        const victim = hosts[0]!;
        const pid = victim.pid();
        await victim.kill();
        killTimes.push(performance.now());
        kills.push(`${stamp()} kill -9 function host pid ${pid}`);
        log(kills[kills.length - 1]!);
        await sleep(1_000);
        await victim.start();
        log(`${stamp()} function host back (pid ${victim.pid()})`);
      }
    })();
    await creating;
    log(`${stamp()} ${options.snapshots} snapshots and ${options.groups} groups created`);
    await waitUntil(
      "every snapshot and group ready",
      async () => {
        const c = await readyCounts();
        return c.snapshots === options.snapshots && c.groups === expectedGroups && readiness!.notReadyNow("VolumeSnapshot") === 0;
      },
      limitMs,
      200,
    );
    const readyAt = performance.now();
    const readySeconds = (readyAt - readyStart) / 1000;
    clearInterval(progressLog);
    await chaos;
    log(`${stamp()} all ready in ${readySeconds.toFixed(1)} s`);

    const ready = await checkReadyState(kube, storage.gateway, NAMESPACE, readiness);
    log(`${stamp()} ready state checked: leaked ${ready.leaked}, duplicated ${ready.duplicated}`);

    const deleteStart = performance.now();
    const deletion = await deleteAndCheck(kube, storage.gateway, NAMESPACE, limitMs);
    const deleteSeconds = (performance.now() - deleteStart) / 1000;
    log(`${stamp()} deletion done in ${deleteSeconds.toFixed(1)} s`);
    await admin.close();
    return {
      snapshots: options.snapshots,
      groups: options.groups,
      natsNodes,
      streamReplicas: replicas,
      readySeconds: Math.round(readySeconds * 10) / 10,
      deleteSeconds: Math.round(deleteSeconds * 10) / 10,
      totalSeconds: Math.round((readySeconds + deleteSeconds) * 10) / 10,
      kills,
      killsDuringRun: killTimes.filter((t) => t < readyAt).length,
      leaked: ready.leaked + deletion.leftBackend,
      duplicated: ready.duplicated,
      stuckFinalizers: deletion.stuckFinalizers,
      details: [...ready.details, ...deletion.details].slice(0, 50),
    };
  } finally {
    clearInterval(progressLog);
    readiness?.stop();
    await watcher?.stop().catch(() => undefined);
    for (const d of dispatchers) await d.stop().catch(() => undefined);
    for (const h of hosts) await h.stop().catch(() => undefined);
    closeLocal?.();
    await storage?.close().catch(() => undefined);
    cluster?.kube.close();
    await cluster?.dev.close().catch(() => undefined);
    await natsCluster?.stop();
    await natsSingle?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function summaryLines(r: ClusterChaosResult): string[] {
  return [`leaked: ${r.leaked}`, `duplicated: ${r.duplicated}`, `stuck finalizers: ${r.stuckFinalizers}`];
}
