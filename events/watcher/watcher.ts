// A list+watch per watched resource (list-watch.ts); every change becomes one CloudEvent on JetStream.
// The list+watch re-lists by itself on 410 Gone (and reports deletions of what vanished), re-watches
// after a normal close, but stops on any other error: we restart it with back-off.
import type { KubeConfig } from "@kubernetes/client-node";
import { RESOURCES, WATCHED_RESOURCES, apiVersionOf, resourcePath, type ResourceName } from "../../shared/api/resources.js";
import type { Logger, ObjectVerb } from "../../shared/function/types.js";
import { ListWatch, type CachedObject } from "./list-watch.js";
import { objectCloudEventFromBytes } from "./object-event.js";
import type { EventPublisher } from "./publisher.js";

export interface WatcherOptions {
  kubeConfig: KubeConfig;
  publisher: EventPublisher;
  cluster: string;
  resources?: readonly ResourceName[];
  /**
   * Re-emit every cached object as `resynced` this often (default 10 min; 0 disables). Each periodic
   * pass is spread over 80 % of the interval in 1 s slices; `resync()` emits everything at once.
   */
  resyncIntervalMs?: number;
  restartInitialMs?: number;
  restartMaxMs?: number;
  log?: Logger;
}

export interface WatcherStats {
  emitted: Record<ObjectVerb, number>;
  restarts: number;
  errors: number;
  resyncs: number;
}

export interface Watcher {
  /** Resolves when every resource has been listed once. */
  ready: Promise<void>;
  /** Resources the API server does not serve (yet): their informers keep retrying slowly. */
  missing(): ResourceName[];
  /** Re-emits every cached object as `resynced` now; returns how many. */
  resync(): number;
  stats: WatcherStats;
  stop(): Promise<void>;
}

/** The periodic resync's pass takes this share of the interval, emitted in slices this often. */
const RESYNC_SPREAD = 0.8;
const RESYNC_TICK_MS = 1_000;

export function startWatcher(options: WatcherOptions): Watcher {
  const { kubeConfig, publisher, cluster, log } = options;
  const resources = options.resources ?? WATCHED_RESOURCES;
  const restartInitialMs = options.restartInitialMs ?? 250;
  const restartMaxMs = options.restartMaxMs ?? 30_000;
  const stats: WatcherStats = { emitted: { added: 0, modified: 0, deleted: 0, resynced: 0 }, restarts: 0, errors: 0, resyncs: 0 };
  const informers = new Map<ResourceName, ListWatch>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const emit = (resource: ResourceName, verb: ObjectVerb, object: CachedObject): void => {
    try {
      const { subject, id, event } = objectCloudEventFromBytes(cluster, resource, verb, object, object.data);
      publisher.enqueue(subject, id, event);
      stats.emitted[verb]++;
    } catch (err) {
      log?.warn({ resource, verb, err: String(err) }, "object not turned into an event");
    }
  };

  const readiness: Array<Promise<void>> = [];
  const missing = new Set<ResourceName>();
  for (const resource of resources) {
    const type = RESOURCES[resource];
    const informer = new ListWatch({
      kubeConfig,
      path: resourcePath(type),
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      onChange: (verb, object) => emit(resource, verb, object),
      onError: (err) => onError(err),
    });
    informers.set(resource, informer);

    let delay = restartInitialMs;
    let failedSinceStart = false;
    let markReady: () => void = () => undefined;
    readiness.push(new Promise<void>((resolve) => (markReady = resolve)));

    const start = async (): Promise<void> => {
      if (stopped) return;
      failedSinceStart = false;
      await informer.start();
      if (!failedSinceStart && !stopped) {
        delay = restartInitialMs;
        missing.delete(resource);
        markReady();
      }
    };
    const onError = (err: unknown): void => {
      failedSinceStart = true;
      stats.errors++;
      if (stopped) return;
      // A resource the server does not serve (its CRD is not installed): nothing to watch yet. That
      // must not hold the watcher's readiness back; keep looking at the slowest pace.
      if (statusOf(err) === 404) {
        if (!missing.has(resource)) log?.warn({ resource }, "resource not served by the API server; watching for it to appear");
        missing.add(resource);
        markReady();
        delay = restartMaxMs;
      }
      log?.warn({ resource, err: describe(err), restartInMs: delay }, "informer stopped; restarting");
      const timer = setTimeout(() => {
        timers.delete(timer);
        stats.restarts++;
        void start();
      }, delay);
      timers.add(timer);
      delay = Math.min(delay * 2, restartMaxMs);
    };
    void start();
  }

  const resync = (): number => {
    let count = 0;
    for (const [resource, informer] of informers) {
      for (const object of informer.list()) {
        emit(resource, "resynced", object);
        count++;
      }
    }
    stats.resyncs++;
    return count;
  };
  const resyncEvery = options.resyncIntervalMs ?? 10 * 60_000;
  // The periodic pass is spread over most of the interval rather than emitted at once: 20,000
  // snapshots re-emitted in one burst would queue every live event behind them for as long as the
  // functions take to look at all of them (the delays upstream reports past 15,000, its #1148).
  let paced: Array<[ResourceName, CachedObject]> = [];
  let pacedPerTick = 0;
  const pacedResync = () => {
    if (paced.length > 0) {
      // The previous pass has not finished (the interval is shorter than a pass): finish it now.
      for (const [resource, object] of paced) emit(resource, "resynced", object);
    }
    paced = [];
    for (const [resource, informer] of informers) for (const object of informer.list()) paced.push([resource, object]);
    stats.resyncs++;
    const ticks = Math.max(1, Math.floor((resyncEvery * RESYNC_SPREAD) / RESYNC_TICK_MS));
    pacedPerTick = Math.ceil(paced.length / ticks);
    paced.reverse(); // popped from the end, emitted in list order
  };
  const resyncTimer = resyncEvery > 0 ? setInterval(pacedResync, resyncEvery) : undefined;
  const pacerTimer =
    resyncEvery > 0
      ? setInterval(() => {
          for (let i = 0; i < pacedPerTick && paced.length > 0; i++) {
            const [resource, object] = paced.pop()!;
            emit(resource, "resynced", object);
          }
        }, Math.min(RESYNC_TICK_MS, resyncEvery))
      : undefined;
  resyncTimer?.unref?.();
  pacerTimer?.unref?.();

  return {
    ready: Promise.all(readiness).then(() => undefined),
    missing: () => [...missing],
    resync,
    stats,
    async stop() {
      stopped = true;
      if (resyncTimer) clearInterval(resyncTimer);
      if (pacerTimer) clearInterval(pacerTimer);
      paced = [];
      for (const timer of timers) clearTimeout(timer);
      for (const informer of informers.values()) informer.stop();
    },
  };
}

function statusOf(err: unknown): number | undefined {
  if (err && typeof err === "object") {
    const e = err as { statusCode?: unknown; code?: unknown };
    if (typeof e.statusCode === "number") return e.statusCode;
    if (typeof e.code === "number") return e.code;
  }
  return undefined;
}

function describe(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { statusCode?: number; code?: unknown; message?: string };
    return [e.statusCode ?? e.code, e.message].filter((x) => x !== undefined).join(" ");
  }
  return String(err);
}
