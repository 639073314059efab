// OpenFaaS target: a faas-cli stack.yml (version 1.0) with one function per descriptor entry, each
// annotated with the NATS `topic`s it consumes, and the connector that feeds them from JetStream.
// The connector is snapflow's dispatcher pointed at the OpenFaaS gateway: unlike the core-NATS
// nats-connector it keeps the CloudEvent headers, acknowledges only what a function finished and
// dead-letters the rest — the topics it pulls are exactly the functions' `topic` annotations.
import { eventSubjects, type FunctionSpec } from "./descriptor.js";
import { commonFiles, functionAccount, functionArgs, natsEnv, watcherDeployment, type RenderContext } from "./common.js";
import { deployment, file, RESTRICTED_CONTAINER, type RenderedFile } from "./manifests.js";
import { stringify } from "yaml";

/** Where OpenFaaS mounts a function's secrets (one file per key). */
const OPENFAAS_SECRETS = "/var/openfaas/secrets";
export const OPENFAAS_FUNCTION_NAMESPACE = "openfaas-fn";
export const OPENFAAS_GATEWAY = "http://gateway.openfaas:8080";

export function openfaasFunctionName(fn: Pick<FunctionSpec, "name">): string {
  return `snapflow-${fn.name}`;
}

/** of-watchdog answers OpenFaaS on 8080 (health included) and proxies to the function here. */
const UPSTREAM_PORT = 8081;

function stackFunction(ctx: RenderContext, fn: FunctionSpec, image: string): object {
  const args = functionArgs(ctx, fn, `${OPENFAAS_SECRETS}/token`).map((a) => (a === "0.0.0.0" ? "127.0.0.1" : a));
  return {
    namespace: ctx.functionNamespace,
    lang: "dockerfile",
    handler: `./${fn.handler.slice(0, fn.handler.lastIndexOf("/"))}`,
    image,
    // of-watchdog in http mode runs the function server once and proxies every request (headers too).
    environment: {
      mode: "http",
      upstream_url: `http://127.0.0.1:${UPSTREAM_PORT}`,
      fprocess: ["node", "/app/bin/snapflow.mjs", ...args, "--port", String(UPSTREAM_PORT)].join(" "),
      exec_timeout: `${fn.timeoutSeconds}s`,
      read_timeout: `${fn.timeoutSeconds}s`,
      write_timeout: `${fn.timeoutSeconds}s`,
      max_inflight: String(fn.concurrency),
      SNAPFLOW_LOG_LEVEL: ctx.d.provider.logLevel,
      ...Object.fromEntries(Object.keys(fn.environment).sort().map((k) => [k, fn.environment[k]!])),
    },
    annotations: {
      topic: eventSubjects(fn, ctx.cluster).join(","),
      "com.openfaas.serviceaccount": functionAccount(fn),
    },
    labels: {
      "com.openfaas.scale.min": String(Math.max(1, fn.scale.min)),
      "com.openfaas.scale.max": String(fn.scale.max),
      "app.kubernetes.io/part-of": "snapflow",
    },
    secrets: ["snapflow-gateway-token"],
    limits: { memory: "256Mi", cpu: "500m" },
    requests: { memory: "96Mi", cpu: "50m" },
  };
}

export function renderStackYml(ctx: RenderContext): string {
  const image = ctx.d.provider.openfaasImage;
  if (!image) throw new Error("serverless.yml: provider.openfaasImage is needed for --target openfaas (the image built with --target openfaas, of-watchdog in front)");
  const stack = {
    version: "1.0",
    provider: { name: "openfaas", gateway: "http://127.0.0.1:8080" },
    functions: Object.fromEntries(ctx.d.functions.map((fn) => [openfaasFunctionName(fn), stackFunction(ctx, fn, image)])),
  };
  return stringify(stack, { lineWidth: 0 });
}

/** The connector: one dispatcher per function, pulling that function's topics, calling /function/<name>. */
function connectors(ctx: RenderContext): RenderedFile {
  return file(
    "openfaas/connector.yaml",
    ctx.d.functions.map((fn) =>
      deployment({
        name: `snapflow-connector-${fn.name}`,
        ns: ctx.ns,
        component: `snapflow-connector-${fn.name}`,
        replicas: ctx.d.dispatcher.replicas,
        serviceAccountName: "snapflow-dispatcher",
        automountToken: false,
        containers: [
          {
            name: "connector",
            image: ctx.d.provider.image,
            args: [
              "dispatch",
              "--cluster-name",
              ctx.cluster,
              "--function",
              `${fn.name}=${OPENFAAS_GATEWAY}/function/${openfaasFunctionName(fn)}`,
              "--concurrency",
              String(fn.concurrency * fn.scale.max),
              "--ack-wait",
              `${ctx.d.provider.delivery.ackWaitSeconds}s`,
              "--max-deliver",
              String(ctx.d.provider.delivery.retry + 1),
            ],
            env: [...natsEnv(), { name: "SNAPFLOW_LOG_LEVEL", value: ctx.d.provider.logLevel }],
            securityContext: RESTRICTED_CONTAINER,
          },
        ],
      }),
    ),
  );
}

export function renderOpenfaas(ctx: RenderContext): RenderedFile[] {
  return [
    ...commonFiles(ctx, { dispatcher: true }),
    { path: "openfaas/stack.yml", content: renderStackYml(ctx) },
    connectors(ctx),
    file("openfaas/watcher.yaml", [watcherDeployment(ctx)]),
  ];
}
