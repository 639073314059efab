// One durable pull consumer per (function, resource) of a cluster. nats-server 2.9 allows one
// filter_subject per consumer and no metadata, so the pair is encoded in the durable name.
import { nanos } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, ReplayPolicy, type ConsumerConfig, type ConsumerInfo, type JetStreamManager } from "@nats-io/jetstream";
import type { ResourceName } from "../../shared/api/resources.js";
import { isJetStreamNotFound } from "./streams.js";
import { consumerName, k8sFilter, K8S_STREAM } from "./subjects.js";

export interface DeliveryPolicy {
  /** How long a delivery may go unacknowledged (heartbeats extend it) before JetStream redelivers. */
  ackWaitMs: number;
  /** Deliveries before a message is dead-lettered. */
  maxDeliver: number;
  /**
   * Ack waits for the later deliveries (JetStream back-off after an ack timeout, i.e. a dispatcher
   * that died mid-call). The first delivery waits ackWaitMs. Empty by default: with a back-off list,
   * nats-server 2.9 honours a nak's own delay only on the first nak and makes later ones wait for the
   * back-off step (30 s, then 60 s …), which stalled every event that met two 409s.
   */
  backoffMs: number[];
  /** Unacknowledged messages in flight per consumer. */
  maxAckPending: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  ackWaitMs: 30_000,
  maxDeliver: 10,
  backoffMs: [],
  maxAckPending: 1_000,
};

export interface FunctionBinding {
  function: string;
  resources: readonly ResourceName[];
}

export interface ConsumerRef {
  function: string;
  resource: ResourceName;
  stream: string;
  durable: string;
}

export function consumerConfig(cluster: string, fn: string, resource: ResourceName, policy: DeliveryPolicy): ConsumerConfig {
  // JetStream takes the first back-off step as the first ack wait and wants fewer steps than deliveries.
  const backoff = policy.backoffMs.length > 0 ? [policy.ackWaitMs, ...policy.backoffMs] : [];
  if (backoff.length >= policy.maxDeliver) throw new Error("maxDeliver must exceed the number of back-off steps + 1");
  return {
    durable_name: consumerName(cluster, fn, resource),
    description: `snapflow: ${fn} ← ${resource} (${cluster})`,
    filter_subject: k8sFilter(cluster, resource),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: nanos(policy.ackWaitMs),
    max_deliver: policy.maxDeliver,
    backoff: backoff.length > 0 ? backoff.map((ms) => nanos(ms)) : undefined,
    max_ack_pending: policy.maxAckPending,
  } as ConsumerConfig;
}

/** Creates or updates every consumer the bindings need. Idempotent. */
export async function ensureConsumers(
  jsm: JetStreamManager,
  cluster: string,
  bindings: readonly FunctionBinding[],
  policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
): Promise<ConsumerRef[]> {
  const refs: ConsumerRef[] = [];
  for (const binding of bindings) {
    for (const resource of binding.resources) {
      const config = consumerConfig(cluster, binding.function, resource, policy);
      const durable = config.durable_name!;
      let existing: ConsumerInfo | undefined;
      try {
        existing = await jsm.consumers.info(K8S_STREAM, durable);
      } catch (err) {
        if (!isJetStreamNotFound(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
      }
      if (!existing) {
        await jsm.consumers.add(K8S_STREAM, config);
      } else {
        await jsm.consumers.update(K8S_STREAM, durable, {
          description: config.description,
          ack_wait: config.ack_wait,
          max_deliver: config.max_deliver,
          // An empty list clears a back-off an older version set (an absent key would keep it).
          backoff: config.backoff ?? [],
          max_ack_pending: config.max_ack_pending,
        });
      }
      refs.push({ function: binding.function, resource, stream: K8S_STREAM, durable });
    }
  }
  return refs;
}
