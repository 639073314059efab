// The two streams, created or brought up to date at start (safe to run from every component).
import { nanos } from "@nats-io/transport-node";
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { AUDIT_STREAM, K8S_STREAM } from "./subjects.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GIB = 1024 ** 3;

export interface StreamLimits {
  /** JetStream's de-duplication window on Nats-Msg-Id; at least 2 minutes. */
  duplicateWindowMs: number;
  k8sMaxAgeMs: number;
  k8sMaxBytes: number;
  auditMaxAgeMs: number;
  auditMaxBytes: number;
  /**
   * Copies of each stream in a JetStream cluster (1 on a single server). Unset: 1 for a new stream
   * (or $SNAPFLOW_STREAM_REPLICAS), and an existing stream keeps the replicas it has.
   */
  replicas?: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  duplicateWindowMs: 2 * MINUTE,
  k8sMaxAgeMs: DAY,
  k8sMaxBytes: GIB,
  auditMaxAgeMs: 30 * DAY,
  auditMaxBytes: GIB,
};

export function streamConfigs(limits: Partial<StreamLimits> = {}): Array<Partial<StreamConfig> & { name: string }> {
  const l = { ...DEFAULT_STREAM_LIMITS, ...limits };
  if (l.duplicateWindowMs < 2 * MINUTE) throw new Error("duplicate window must be at least 2 minutes");
  const common = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: l.replicas ?? 1,
    duplicate_window: nanos(l.duplicateWindowMs),
  };
  return [
    {
      ...common,
      name: K8S_STREAM,
      description: "snapflow: Kubernetes object changes as CloudEvents",
      subjects: ["snapflow.*.k8s.>"],
      max_age: nanos(l.k8sMaxAgeMs),
      max_bytes: l.k8sMaxBytes,
    },
    {
      ...common,
      name: AUDIT_STREAM,
      description: "snapflow: function outcomes (audit) and dead letters",
      subjects: ["snapflow.*.audit.>", "snapflow.*.dead.>"],
      max_age: nanos(l.auditMaxAgeMs),
      max_bytes: l.auditMaxBytes,
    },
  ];
}

function isNotFound(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/** Creates both streams, or updates their mutable settings when they exist. Idempotent. */
export async function ensureStreams(jsm: JetStreamManager, limits: Partial<StreamLimits> = {}): Promise<StreamInfo[]> {
  const infos: StreamInfo[] = [];
  const envReplicas = Number(process.env.SNAPFLOW_STREAM_REPLICAS);
  const replicas = limits.replicas ?? (Number.isInteger(envReplicas) && envReplicas > 0 ? envReplicas : undefined);
  for (const config of streamConfigs({ ...limits, replicas })) {
    let exists = true;
    try {
      const current = await jsm.streams.info(config.name);
      // A component started without a replica count must not shrink a replicated stream.
      if (replicas === undefined) config.num_replicas = current.config.num_replicas;
    } catch (err) {
      if (!isNotFound(err, JetStreamApiCodes.StreamNotFound)) throw err;
      exists = false;
    }
    if (!exists) {
      try {
        infos.push(await jsm.streams.add(config));
        continue;
      } catch (err) {
        // Another component created it between our info and add: fall through to update.
        if (!(err instanceof JetStreamApiError)) throw err;
      }
    }
    const { name, storage: _storage, retention: _retention, ...mutable } = config;
    infos.push(await jsm.streams.update(name, mutable));
  }
  return infos;
}

export { isNotFound as isJetStreamNotFound };
