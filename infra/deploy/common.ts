// What every target deploys alike: the namespace, the CRDs, per-component RBAC, the Secrets, the
// driver gateway beside the CSI driver's controller, and the watcher.
import { randomBytes } from "node:crypto";
import { RESOURCES, WATCHED_RESOURCES, type ResourceName } from "../../shared/api/resources.js";
import { crdFileName, renderCrdYaml } from "../crds/render.js";
import { snapshotCrds } from "../crds/index.js";
import type { Descriptor, FunctionSpec, RbacRule } from "./descriptor.js";
import {
  clusterRoleFor,
  configMap,
  deployment,
  envList,
  file,
  namespace,
  RESTRICTED_CONTAINER,
  secret,
  service,
  serviceAccount,
  type EnvVar,
  type Manifest,
  type RenderedFile,
} from "./manifests.js";
import { stringify } from "yaml";

export interface RenderContext {
  d: Descriptor;
  ns: string;
  cluster: string;
  /** Where the functions (their ServiceAccounts and token Secret) live; OpenFaaS keeps them in openfaas-fn. */
  functionNamespace: string;
  /** Random secret values instead of empty keys for the user to fill. */
  generateSecrets: boolean;
}

export const GATEWAY_TOKEN_SECRET = "snapflow-gateway-token";
export const NATS_SECRET = "snapflow-nats";
export const TOKEN_MOUNT = "/var/run/snapflow/gateway-token";
export const FUNCTION_PORT = 8080;

export function functionAccount(fn: Pick<FunctionSpec, "name">): string {
  return `snapflow-fn-${fn.name}`;
}

export function gatewayUrl(ctx: RenderContext): string {
  return `http://snapflow-gateway.${ctx.ns}.svc:${ctx.d.gateway.port}`;
}

function token(ctx: RenderContext): string {
  return ctx.generateSecrets ? randomBytes(32).toString("hex") : "";
}

/** RBAC rules for get/list/watch on the resources the watcher turns into events. */
export function watcherRules(resources: readonly ResourceName[] = WATCHED_RESOURCES): RbacRule[] {
  const byGroup = new Map<string, string[]>();
  for (const r of resources) {
    const group = RESOURCES[r].group;
    byGroup.set(group, [...(byGroup.get(group) ?? []), RESOURCES[r].plural]);
  }
  return [...byGroup].map(([group, plurals]) => ({ apiGroups: [group], resources: plurals, verbs: ["get", "list", "watch"] }));
}

/** The gateway resolves class secret references: it reads Secrets, nothing else. */
export const GATEWAY_RULES: RbacRule[] = [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }];

/** NATS_URL from the snapflow-nats Secret (it may carry credentials). */
export function natsEnv(): EnvVar[] {
  return [{ name: "NATS_URL", valueFrom: { secretKeyRef: { name: NATS_SECRET, key: "url" } } }];
}

export function functionEnv(ctx: RenderContext, fn: FunctionSpec): EnvVar[] {
  return envList({ SNAPFLOW_LOG_LEVEL: ctx.d.provider.logLevel, ...fn.environment });
}

export function functionArgs(ctx: RenderContext, fn: FunctionSpec, tokenFile = `${TOKEN_MOUNT}/token`): string[] {
  return ["function", fn.name, "--host", "0.0.0.0", "--cluster-name", ctx.cluster, "--gateway", gatewayUrl(ctx), "--gateway-token-file", tokenFile];
}

export function tokenVolume(): object {
  return { name: "gateway-token", secret: { secretName: GATEWAY_TOKEN_SECRET } };
}

export function tokenMount(): object {
  return { name: "gateway-token", mountPath: TOKEN_MOUNT, readOnly: true };
}

export function healthProbe(port: number | string = FUNCTION_PORT): object {
  return { httpGet: { path: "/healthz", port } };
}

export function crdFiles(): RenderedFile[] {
  return snapshotCrds().map((crd) => ({ path: `crds/${crdFileName(crd)}`, content: renderCrdYaml(crd) }));
}

export function secretsFile(ctx: RenderContext): RenderedFile {
  const gatewayToken = token(ctx);
  return file("secrets.yaml", [
    secret(GATEWAY_TOKEN_SECRET, ctx.ns, "snapflow-gateway", { token: gatewayToken }),
    // The functions hold the same token where they run.
    ...(ctx.functionNamespace !== ctx.ns ? [secret(GATEWAY_TOKEN_SECRET, ctx.functionNamespace, "snapflow-gateway", { token: gatewayToken })] : []),
    // A working value for a NATS without authentication; put nats://user:password@host:4222 here otherwise.
    secret(NATS_SECRET, ctx.ns, "snapflow", { url: ctx.d.provider.nats.url }),
  ]);
}

export function functionRbacFile(ctx: RenderContext): RenderedFile {
  const objects: Manifest[] = [];
  for (const fn of ctx.d.functions) {
    const component = `snapflow-${fn.name}`;
    objects.push(serviceAccount(functionAccount(fn), ctx.functionNamespace, component), ...clusterRoleFor(functionAccount(fn), ctx.functionNamespace, component, fn.rbac));
  }
  return file("rbac-functions.yaml", objects);
}

export function componentRbacFile(ctx: RenderContext, dispatcher: boolean): RenderedFile {
  return file("rbac-components.yaml", [
    serviceAccount("snapflow-watcher", ctx.ns, "snapflow-watcher"),
    ...clusterRoleFor("snapflow-watcher", ctx.ns, "snapflow-watcher", watcherRules()),
    serviceAccount("snapflow-gateway", ctx.ns, "snapflow-gateway"),
    ...clusterRoleFor("snapflow-gateway", ctx.ns, "snapflow-gateway", GATEWAY_RULES),
    // The dispatcher talks to NATS and HTTP only: no API access at all.
    ...(dispatcher ? [serviceAccount("snapflow-dispatcher", ctx.ns, "snapflow-dispatcher", false)] : []),
  ]);
}

/**
 * The CSI driver's controller with the snapflow gateway beside it instead of csi-snapshotter: both
 * share the driver's socket directory; the gateway is the only client of the socket.
 */
export function gatewayFile(ctx: RenderContext): RenderedFile {
  const { driver, port } = ctx.d.gateway;
  const socketDir = "/csi";
  const config = {
    drivers: { [driver.name]: { backend: "csi", address: `unix://${socketDir}/csi.sock`, timeoutSeconds: driver.timeoutSeconds } },
    logLevel: ctx.d.provider.logLevel,
  };
  const controller = deployment({
    name: "snapflow-gateway",
    ns: ctx.ns,
    component: "snapflow-gateway",
    replicas: 1,
    serviceAccountName: "snapflow-gateway",
    containers: [
      {
        name: "csi-driver",
        image: driver.image,
        args: driver.args,
        env: [
          { name: "CSI_ENDPOINT", value: `unix://${socketDir}/csi.sock` },
          { name: "KUBE_NODE_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "spec.nodeName" } } },
        ],
        volumeMounts: [{ name: "socket-dir", mountPath: socketDir }],
      },
      {
        name: "snapflow-gateway",
        image: ctx.d.provider.image,
        args: ["gateway", "--config", "/etc/snapflow/gateway.yaml", "--host", "0.0.0.0", "--port", String(port), "--token-file", `${TOKEN_MOUNT}/token`],
        ports: [{ name: "http", containerPort: port }],
        readinessProbe: healthProbe(port),
        livenessProbe: healthProbe(port),
        securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: 65532 },
        volumeMounts: [
          { name: "socket-dir", mountPath: socketDir },
          { name: "gateway-config", mountPath: "/etc/snapflow", readOnly: true },
          tokenMount(),
        ],
      },
    ],
    volumes: [{ name: "socket-dir", emptyDir: {} }, { name: "gateway-config", configMap: { name: "snapflow-gateway" } }, tokenVolume()],
    // The driver container is the vendor's image and may need root: the gateway container alone is held to non-root.
    podNonRoot: false,
  });
  return file("gateway.yaml", [
    configMap("snapflow-gateway", ctx.ns, "snapflow-gateway", { "gateway.yaml": stringify(config, { lineWidth: 0 }) }),
    controller,
    service("snapflow-gateway", ctx.ns, "snapflow-gateway", port, port),
  ]);
}

export function watcherDeployment(ctx: RenderContext): Manifest {
  return deployment({
    name: "snapflow-watcher",
    ns: ctx.ns,
    component: "snapflow-watcher",
    // One watcher per cluster: events are de-duplicated by id, but two would only double the traffic.
    replicas: 1,
    serviceAccountName: "snapflow-watcher",
    containers: [
      {
        name: "watcher",
        image: ctx.d.provider.image,
        args: ["watch", "--cluster-name", ctx.cluster, "--resync", ctx.d.watcher.resync],
        env: [...natsEnv(), { name: "SNAPFLOW_LOG_LEVEL", value: ctx.d.provider.logLevel }, { name: "SNAPFLOW_STREAM_REPLICAS", value: String(ctx.d.provider.nats.streamReplicas) }],
        securityContext: RESTRICTED_CONTAINER,
      },
    ],
  });
}

export function commonFiles(ctx: RenderContext, o: { dispatcher: boolean }): RenderedFile[] {
  const namespaces = ctx.functionNamespace !== ctx.ns ? [namespace(ctx.ns), namespace(ctx.functionNamespace)] : [namespace(ctx.ns)];
  return [file("namespace.yaml", namespaces), ...crdFiles(), secretsFile(ctx), functionRbacFile(ctx), componentRbacFile(ctx, o.dispatcher), gatewayFile(ctx)];
}
