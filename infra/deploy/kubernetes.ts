// Plain Kubernetes target (no Knative, no OpenFaaS): a Deployment + Service per function, one
// dispatcher Deployment per function (its concurrency and durable consumers are the function's
// own) and the watcher.
import type { FunctionSpec } from "./descriptor.js";
import { commonFiles, FUNCTION_PORT, functionAccount, functionArgs, functionEnv, healthProbe, natsEnv, tokenMount, tokenVolume, watcherDeployment, type RenderContext } from "./common.js";
import { deployment, file, RESTRICTED_CONTAINER, service, type Manifest, type RenderedFile } from "./manifests.js";

export function functionServiceName(fn: Pick<FunctionSpec, "name">): string {
  return `snapflow-${fn.name}`;
}

function functionObjects(ctx: RenderContext, fn: FunctionSpec): Manifest[] {
  const name = functionServiceName(fn);
  return [
    deployment({
      name,
      ns: ctx.ns,
      component: name,
      replicas: Math.max(1, fn.scale.min),
      serviceAccountName: functionAccount(fn),
      containers: [
        {
          name: "function",
          image: ctx.d.provider.image,
          args: functionArgs(ctx, fn),
          env: [{ name: "PORT", value: String(FUNCTION_PORT) }, ...functionEnv(ctx, fn)],
          ports: [{ name: "http", containerPort: FUNCTION_PORT }],
          readinessProbe: healthProbe(),
          livenessProbe: healthProbe(),
          securityContext: RESTRICTED_CONTAINER,
          volumeMounts: [tokenMount()],
        },
      ],
      volumes: [tokenVolume()],
    }),
    service(name, ctx.ns, name, 80, FUNCTION_PORT),
  ];
}

function dispatcher(ctx: RenderContext, fn: FunctionSpec): Manifest {
  return deployment({
    name: `snapflow-dispatcher-${fn.name}`,
    ns: ctx.ns,
    component: `snapflow-dispatcher-${fn.name}`,
    replicas: ctx.d.dispatcher.replicas,
    serviceAccountName: "snapflow-dispatcher",
    automountToken: false,
    containers: [
      {
        name: "dispatcher",
        image: ctx.d.provider.image,
        args: [
          "dispatch",
          "--cluster-name",
          ctx.cluster,
          "--function",
          `${fn.name}=http://${functionServiceName(fn)}.${ctx.ns}.svc/${fn.name}`,
          "--concurrency",
          String(fn.concurrency * Math.max(1, fn.scale.min)),
          "--ack-wait",
          `${ctx.d.provider.delivery.ackWaitSeconds}s`,
          "--max-deliver",
          String(ctx.d.provider.delivery.retry + 1),
        ],
        env: [...natsEnv(), { name: "SNAPFLOW_LOG_LEVEL", value: ctx.d.provider.logLevel }, { name: "SNAPFLOW_STREAM_REPLICAS", value: String(ctx.d.provider.nats.streamReplicas) }],
        securityContext: RESTRICTED_CONTAINER,
      },
    ],
  });
}

export function renderKubernetes(ctx: RenderContext): RenderedFile[] {
  return [
    ...commonFiles(ctx, { dispatcher: true }),
    ...ctx.d.functions.map((fn) => file(`kubernetes/function-${fn.name}.yaml`, [...functionObjects(ctx, fn), dispatcher(ctx, fn)])),
    file("kubernetes/watcher.yaml", [watcherDeployment(ctx)]),
  ];
}
