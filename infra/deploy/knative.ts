// Knative target: a serving.knative.dev/v1 Service per function, a Broker of eventing-natss's NATS
// JetStream class, one Trigger per function and event type, and the watcher plus a bridge that
// moves the watcher's JetStream events into the Broker (a Deployment bound to it by a SinkBinding).
import { verbsOf, type FunctionSpec } from "./descriptor.js";
import { commonFiles, FUNCTION_PORT, functionAccount, functionArgs, functionEnv, healthProbe, natsEnv, tokenMount, tokenVolume, watcherDeployment, type RenderContext } from "./common.js";
import { deployment, file, labels, RESTRICTED_CONTAINER, type Manifest, type RenderedFile } from "./manifests.js";

/** eventing-natss's JetStream broker class (knative-extensions/eventing-natss, config/broker). */
export const BROKER_CLASS = "NatsJetStreamBroker";
export const BROKER_NAME = "snapflow";
export const DEAD_LETTER_SERVICE = "snapflow-dead-letters";

export function knativeServiceName(fn: Pick<FunctionSpec, "name">): string {
  return `snapflow-${fn.name}`;
}

function knativeService(ctx: RenderContext, fn: FunctionSpec): Manifest {
  return {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: knativeServiceName(fn), namespace: ctx.ns, labels: labels(`snapflow-${fn.name}`) },
    spec: {
      template: {
        metadata: {
          labels: labels(`snapflow-${fn.name}`),
          annotations: {
            "autoscaling.knative.dev/min-scale": String(fn.scale.min),
            "autoscaling.knative.dev/max-scale": String(fn.scale.max),
            "autoscaling.knative.dev/target": String(fn.concurrency),
          },
        },
        spec: {
          serviceAccountName: functionAccount(fn),
          containerConcurrency: fn.concurrency,
          timeoutSeconds: fn.timeoutSeconds,
          containers: [
            {
              image: ctx.d.provider.image,
              // Knative sets PORT; the function listens on it.
              args: functionArgs(ctx, fn),
              env: functionEnv(ctx, fn),
              ports: [{ containerPort: FUNCTION_PORT }],
              readinessProbe: healthProbe(),
              // Knative needs a feature flag for emptyDir volumes: keep the root filesystem writable (tsx caches in /tmp).
              securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: false, runAsNonRoot: true },
              volumeMounts: [tokenMount()],
            },
          ],
          volumes: [tokenVolume()],
        },
      },
    },
  };
}

function delivery(ctx: RenderContext): object {
  const { retry, backoffPolicy, backoffDelay } = ctx.d.provider.delivery;
  return {
    retry,
    backoffPolicy,
    backoffDelay,
    deadLetterSink: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: DEAD_LETTER_SERVICE } },
  };
}

function broker(ctx: RenderContext): Manifest {
  const { nats } = ctx.d.provider;
  const streamConfig = { stream: { retention: "Limits", storage: "File", replicas: nats.streamReplicas, maxAge: "24h", discard: "Old" } };
  return {
    apiVersion: "eventing.knative.dev/v1",
    kind: "Broker",
    metadata: {
      name: BROKER_NAME,
      namespace: ctx.ns,
      labels: labels("snapflow-broker"),
      annotations: { "eventing.knative.dev/broker.class": BROKER_CLASS, "natsjetstream.eventing.knative.dev/config": JSON.stringify(streamConfig) },
    },
    spec: { delivery: delivery(ctx) },
  };
}

/** One Trigger per function and CloudEvents type, filtered on type and on this cluster's events. */
function triggers(ctx: RenderContext, fn: FunctionSpec): Manifest[] {
  return fn.resources.flatMap((resource) =>
    verbsOf(fn, resource).map((verb) => ({
      apiVersion: "eventing.knative.dev/v1",
      kind: "Trigger",
      metadata: { name: `snapflow-${fn.name}-${resource}-${verb}`, namespace: ctx.ns, labels: labels(`snapflow-${fn.name}`) },
      spec: {
        broker: BROKER_NAME,
        filter: { attributes: { type: `dev.snapflow.k8s.${resource}.${verb}`, cluster: ctx.cluster } },
        subscriber: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: knativeServiceName(fn) } },
        delivery: delivery(ctx),
      },
    })),
  );
}

/** Dead letters go back onto the bus (snapflow.<cluster>.dead.…) where `snapflow audit` sees them. */
function deadLetterService(ctx: RenderContext): Manifest {
  return {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: DEAD_LETTER_SERVICE, namespace: ctx.ns, labels: labels(DEAD_LETTER_SERVICE) },
    spec: {
      template: {
        metadata: { labels: labels(DEAD_LETTER_SERVICE), annotations: { "autoscaling.knative.dev/min-scale": "0", "autoscaling.knative.dev/max-scale": "2" } },
        spec: {
          serviceAccountName: "snapflow-dispatcher",
          containers: [
            {
              image: ctx.d.provider.image,
              args: ["dead-letters", "--host", "0.0.0.0", "--cluster-name", ctx.cluster],
              env: natsEnv(),
              ports: [{ containerPort: FUNCTION_PORT }],
              readinessProbe: healthProbe(),
              // Knative needs a feature flag for emptyDir volumes: keep the root filesystem writable (tsx caches in /tmp).
              securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: false, runAsNonRoot: true },
            },
          ],
        },
      },
    },
  };
}

/** The bridge: a dispatcher whose one target is the Broker (K_SINK, injected by the SinkBinding). */
function bridge(ctx: RenderContext): Manifest[] {
  return [
    deployment({
      name: "snapflow-bridge",
      ns: ctx.ns,
      component: "snapflow-bridge",
      replicas: ctx.d.dispatcher.replicas,
      serviceAccountName: "snapflow-dispatcher",
      automountToken: false,
      containers: [
        {
          name: "bridge",
          image: ctx.d.provider.image,
          args: ["dispatch", "--cluster-name", ctx.cluster, "--sink-from-env", "--ack-wait", `${ctx.d.provider.delivery.ackWaitSeconds}s`],
          env: [...natsEnv(), { name: "SNAPFLOW_LOG_LEVEL", value: ctx.d.provider.logLevel }],
          securityContext: RESTRICTED_CONTAINER,
        },
      ],
    }),
    {
      apiVersion: "sources.knative.dev/v1",
      kind: "SinkBinding",
      metadata: { name: "snapflow-bridge", namespace: ctx.ns, labels: labels("snapflow-bridge") },
      spec: {
        subject: { apiVersion: "apps/v1", kind: "Deployment", name: "snapflow-bridge" },
        sink: { ref: { apiVersion: "eventing.knative.dev/v1", kind: "Broker", name: BROKER_NAME } },
      },
    },
  ];
}

export function renderKnative(ctx: RenderContext): RenderedFile[] {
  return [
    ...commonFiles(ctx, { dispatcher: true }),
    file("knative/broker.yaml", [broker(ctx), deadLetterService(ctx)]),
    ...ctx.d.functions.map((fn) => file(`knative/function-${fn.name}.yaml`, [knativeService(ctx, fn), ...triggers(ctx, fn)])),
    file("knative/watcher.yaml", [watcherDeployment(ctx), ...bridge(ctx)]),
  ];
}
