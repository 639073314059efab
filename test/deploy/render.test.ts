// serverless.yml against the code, and the three renders: valid YAML of known kinds, every function
// and nothing else, least-privilege RBAC as described, byte-identical output, kubectl kustomize.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { allFunctions } from "../../cli/functions.js";
import { functionTargets, sinkTarget } from "../../cli/commands/dispatch.js";
import { functionOfErrorDest } from "../../cli/commands/dead-letters.js";
import {
  eventSubjects,
  eventTypes,
  handlerModule,
  loadDescriptor,
  parseDescriptorYaml,
  renderDeployment,
  renderStream,
  TARGETS,
  writeRendered,
  type Descriptor,
  type RenderedFile,
  type Target,
} from "../../infra/deploy/index.js";
import { canonicalRules } from "../../infra/deploy/manifests.js";
import { WATCHED_RESOURCES } from "../../shared/api/resources.js";
import type { SnapflowFunction } from "../../shared/function/types.js";

const descriptor = loadDescriptor();

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [k: string]: any;
}

const COMMON_KINDS = new Set([
  "v1/Namespace",
  "v1/ServiceAccount",
  "v1/Secret",
  "v1/ConfigMap",
  "v1/Service",
  "apps/v1/Deployment",
  "rbac.authorization.k8s.io/v1/ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
  "apiextensions.k8s.io/v1/CustomResourceDefinition",
]);
const KNOWN_KINDS: Record<Target, Set<string>> = {
  kubernetes: COMMON_KINDS,
  openfaas: COMMON_KINDS,
  knative: new Set([...COMMON_KINDS, "serving.knative.dev/v1/Service", "eventing.knative.dev/v1/Broker", "eventing.knative.dev/v1/Trigger", "sources.knative.dev/v1/SinkBinding"]),
};

function manifests(files: readonly RenderedFile[]): Doc[] {
  const docs: Doc[] = [];
  for (const f of files) {
    if (f.path === "kustomization.yaml" || f.path.endsWith("stack.yml")) continue;
    for (const doc of parseAllDocuments(f.content)) {
      expect(doc.errors, f.path).toEqual([]);
      docs.push(doc.toJS() as Doc);
    }
  }
  return docs;
}

/** snapflow-<function> names of function-specific objects, to compare with the descriptor. */
function functionNamesIn(names: Iterable<string>, prefix: string): Set<string> {
  const out = new Set<string>();
  for (const n of names) if (n.startsWith(prefix)) out.add(n.slice(prefix.length).split("-")[0]!);
  return out;
}

describe("serverless.yml and the code", () => {
  it("describes exactly the registered functions, each handler resolving to the same object", async () => {
    expect(descriptor.functions.map((f) => f.name).sort()).toEqual(allFunctions.map((f) => f.name).sort());
    for (const spec of descriptor.functions) {
      const { module, exportName } = handlerModule(spec.handler);
      const mod = (await import(`../../${module}`)) as Record<string, SnapflowFunction>;
      const fn = mod[exportName];
      expect(fn, spec.handler).toBeDefined();
      expect(allFunctions.find((f) => f.name === spec.name)).toBe(fn);
      expect(fn!.name).toBe(spec.name);
      expect([...spec.resources].sort(), `${spec.name} events`).toEqual([...fn!.resources].sort());
      expect(spec.verbs, `${spec.name} event verbs`).toEqual(fn!.verbs ?? {});
    }
  });

  it("derives event types, subjects and the dispatcher's consumers from the resources", () => {
    const bind = descriptor.functions.find((f) => f.name === "bind")!;
    expect(eventTypes(bind)).toContain("dev.snapflow.k8s.volumesnapshots.resynced");
    // protect takes only a PVC's resync (its safety net); every verb of its snapshots.
    const protect = descriptor.functions.find((f) => f.name === "protect")!;
    expect(eventTypes(protect).filter((t) => t.includes(".persistentvolumeclaims."))).toEqual(["dev.snapflow.k8s.persistentvolumeclaims.resynced"]);
    expect(eventTypes(protect).filter((t) => t.includes(".volumesnapshots.")).length).toBe(4);
    expect(eventSubjects(bind, "east")).toEqual(bind.resources.map((r) => `snapflow.east.k8s.${r}.*`));
    const targets = functionTargets({ functionsUrl: "http://127.0.0.1:1", function: [], concurrency: 4 });
    for (const spec of descriptor.functions) {
      const target = targets.find((t) => t.name === spec.name)!;
      expect([...target.resources].sort()).toEqual([...spec.resources].sort());
      expect(target.verbs ?? {}).toEqual(spec.verbs);
    }
    expect(sinkTarget("http://broker.example/ns/snapflow", 8).resources).toEqual(WATCHED_RESOURCES);
  });

  it("refuses bad descriptors with the path of the problem", () => {
    const text = (mutate: (d: any) => void) => {
      const doc = parse(require("node:fs").readFileSync(new URL("../../serverless.yml", import.meta.url), "utf8"));
      mutate(doc);
      return JSON.stringify(doc);
    };
    expect(() => parseDescriptorYaml(text((d) => (d.functions.bind.replicas = 3)))).toThrow(/functions\.bind\.replicas: unknown key/);
    expect(() => parseDescriptorYaml(text((d) => (d.functions.bind.events = [{ resource: "pods" }])))).toThrow(/functions\.bind\.events\[0\]\.resource: unknown resource "pods"/);
    expect(() => parseDescriptorYaml(text((d) => (d.functions.bind.events = [{ resource: "volumesnapshots", verbs: ["resynced", "patched"] }])))).toThrow(/functions\.bind\.events\[0\]\.verbs\[1\]: "patched" is not one of added, modified, deleted, resynced/);
    expect(() => parseDescriptorYaml(text((d) => (d.functions.bind.events = [{ resource: "volumesnapshots", verbs: [] }])))).toThrow(/functions\.bind\.events\[0\]\.verbs: a non-empty list/);
    expect(() => parseDescriptorYaml(text((d) => (d.functions.bind.rbac[0].verbs = ["get", "escalate"])))).toThrow(/rbac\[0\]\.verbs\[1\]: "escalate" is not one of/);
    expect(() => parseDescriptorYaml(text((d) => (d.functions.bind.scale = { min: 4, max: 2 })))).toThrow(/functions\.bind\.scale: min 4 is above max 2/);
    expect(() => parseDescriptorYaml(text((d) => (d.provider.nats.url = "nats://u:secretpw@nats:4222")))).toThrow(/must not carry credentials/);
    expect(() => parseDescriptorYaml(text((d) => (d.provider.nats.url = "nats://u:secretpw@nats:4222")))).not.toThrow(/secretpw/);
    expect(() => parseDescriptorYaml(text((d) => (d.functions.Bad_Name = d.functions.bind)))).toThrow(/functions\.Bad_Name: function names are lower-case/);
    expect(() => parseDescriptorYaml(text((d) => (d.functions.bind.handler = "functions/bind/index")))).toThrow(/handler: "functions\/bind\/index" must be <module path>\.<export>/);
    expect(() => parseDescriptorYaml("functions: [")).toThrow(/not valid YAML/);
    const withoutOpenfaasImage = parseDescriptorYaml(text((d) => delete d.provider.openfaasImage));
    expect(() => renderDeployment(withoutOpenfaasImage, { target: "openfaas" })).toThrow(/provider\.openfaasImage is needed/);
  });
});

describe.each(TARGETS)("render --target %s", (target) => {
  let files: RenderedFile[];
  let docs: Doc[];
  beforeAll(() => {
    files = renderDeployment(descriptor, { target, clusterName: "east" });
    docs = manifests(files);
  });

  it("renders valid YAML whose every object has an apiVersion/kind known for the target", () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const d of docs) {
      expect(KNOWN_KINDS[target].has(`${d.apiVersion}/${d.kind}`), `${d.apiVersion} ${d.kind} ${d.metadata?.name}`).toBe(true);
      expect(d.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    }
    const crds = docs.filter((d) => d.kind === "CustomResourceDefinition").map((d) => d.metadata.name);
    expect(crds.sort()).toEqual([
      "volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io",
      "volumegroupsnapshotcontents.groupsnapshot.storage.k8s.io",
      "volumegroupsnapshots.groupsnapshot.storage.k8s.io",
      "volumesnapshotclasses.snapshot.storage.k8s.io",
      "volumesnapshotcontents.snapshot.storage.k8s.io",
      "volumesnapshots.snapshot.storage.k8s.io",
    ]);
  });

  it("is byte-identical when rendered twice; only --generate-secrets changes (the token only)", () => {
    expect(renderDeployment(loadDescriptor(), { target, clusterName: "east" })).toEqual(files);
    const generated = renderDeployment(descriptor, { target, clusterName: "east", generateSecrets: true });
    const changed = generated.filter((f, i) => f.content !== files[i]!.content).map((f) => f.path);
    expect(changed).toEqual(["secrets.yaml"]);
    const tokens = manifests(generated).filter((d) => d.kind === "Secret" && d.metadata.name === "snapflow-gateway-token").map((d) => d.stringData.token);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{64}$/);
    const defaults = docs.filter((d) => d.kind === "Secret" && d.metadata.name === "snapflow-gateway-token").map((d) => d.stringData.token);
    expect(defaults.every((t) => t === "")).toBe(true);
  });

  it("gives every function, and nothing else, its own ServiceAccount and a ClusterRole of exactly its rules", () => {
    const expected = new Set(descriptor.functions.map((f) => f.name));
    const accounts = docs.filter((d) => d.kind === "ServiceAccount").map((d) => d.metadata.name);
    expect(functionNamesIn(accounts, "snapflow-fn-")).toEqual(expected);
    for (const spec of descriptor.functions) {
      const role = docs.find((d) => d.kind === "ClusterRole" && d.metadata.name === `snapflow-fn-${spec.name}`)!;
      expect(role.rules).toEqual(canonicalRules(spec.rbac));
      const binding = docs.find((d) => d.kind === "ClusterRoleBinding" && d.metadata.name === `snapflow-fn-${spec.name}`)!;
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: `snapflow-fn-${spec.name}`, namespace: target === "openfaas" ? "openfaas-fn" : "snapflow" }]);
      expect(JSON.stringify(role.rules)).not.toContain("*");
    }
    const watcher = docs.find((d) => d.kind === "ClusterRole" && d.metadata.name === "snapflow-watcher")!;
    for (const rule of watcher.rules) expect(rule.verbs).toEqual(["get", "list", "watch"]);
    expect(docs.find((d) => d.kind === "ClusterRole" && d.metadata.name === "snapflow-gateway")!.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }]);
  });

  it("runs the gateway beside the CSI driver on a shared socket volume, and the watcher for the cluster", () => {
    const controller = docs.find((d) => d.kind === "Deployment" && d.metadata.name === "snapflow-gateway")!;
    const pod = controller.spec.template.spec;
    expect(pod.containers.map((c: any) => c.name)).toEqual(["csi-driver", "snapflow-gateway"]);
    expect(pod.containers.some((c: any) => /csi-snapshotter/.test(c.image))).toBe(false);
    for (const c of pod.containers) expect(c.volumeMounts).toContainEqual({ name: "socket-dir", mountPath: "/csi" });
    const config = parse(docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "snapflow-gateway")!.data["gateway.yaml"]);
    expect(config.drivers[descriptor.gateway.driver.name]).toMatchObject({ backend: "csi", address: "unix:///csi/csi.sock" });
    const watcher = docs.find((d) => d.kind === "Deployment" && d.metadata.name === "snapflow-watcher")!;
    expect(watcher.spec.template.spec.containers[0].args).toEqual(["watch", "--cluster-name", "east", "--resync", descriptor.watcher.resync]);
    expect(watcher.spec.template.spec.containers[0].env).toContainEqual({ name: "NATS_URL", valueFrom: { secretKeyRef: { name: "snapflow-nats", key: "url" } } });
  });

  it("lists every manifest in kustomization.yaml, and kubectl kustomize builds it", async () => {
    const kustomization = parse(files.find((f) => f.path === "kustomization.yaml")!.content);
    const manifestFiles = files.map((f) => f.path).filter((p) => p !== "kustomization.yaml" && !p.endsWith("stack.yml"));
    expect(kustomization.resources).toEqual(manifestFiles);
    expect(manifests([{ path: "stream", content: renderStream(files) }]).length).toBe(docs.length);
    if (!existsSync("/usr/bin/kubectl")) return;
    const dir = await mkdtemp(join(tmpdir(), "snapflow-render-"));
    try {
      await writeRendered(dir, files);
      const built = execFileSync("/usr/bin/kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      const builtDocs = parseAllDocuments(built).map((d) => d.toJS() as Doc);
      expect(builtDocs.map((d) => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`).sort()).toEqual(docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`).sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("target specifics", () => {
  const names = (d: Descriptor) => new Set(d.functions.map((f) => f.name));

  it("knative: a Service per function with scale bounds, concurrency and timeout; a Trigger per function and event type; a NATS JetStream Broker", () => {
    const docs = manifests(renderDeployment(descriptor, { target: "knative", clusterName: "east" }));
    const services = docs.filter((d) => d.kind === "Service" && d.apiVersion === "serving.knative.dev/v1");
    expect(functionNamesIn(services.map((s) => s.metadata.name).filter((n) => n !== "snapflow-dead-letters"), "snapflow-")).toEqual(names(descriptor));
    for (const spec of descriptor.functions) {
      const svc = services.find((s) => s.metadata.name === `snapflow-${spec.name}`)!;
      const t = svc.spec.template;
      expect(t.metadata.annotations["autoscaling.knative.dev/min-scale"]).toBe(String(spec.scale.min));
      expect(t.metadata.annotations["autoscaling.knative.dev/max-scale"]).toBe(String(spec.scale.max));
      expect(t.spec.containerConcurrency).toBe(spec.concurrency);
      expect(t.spec.timeoutSeconds).toBe(spec.timeoutSeconds);
      expect(t.spec.serviceAccountName).toBe(`snapflow-fn-${spec.name}`);
      expect(t.spec.containers[0].args.slice(0, 2)).toEqual(["function", spec.name]);
      const triggers = docs.filter((d) => d.kind === "Trigger" && d.spec.subscriber.ref.name === `snapflow-${spec.name}`);
      expect(triggers.map((tr) => tr.spec.filter.attributes.type).sort()).toEqual(eventTypes(spec).sort());
      for (const tr of triggers) {
        expect(tr.spec.filter.attributes.cluster).toBe("east");
        expect(tr.spec.delivery).toMatchObject({ retry: descriptor.provider.delivery.retry, backoffPolicy: "exponential", backoffDelay: "PT0.25S", deadLetterSink: { ref: { name: "snapflow-dead-letters" } } });
      }
    }
    const broker = docs.find((d) => d.kind === "Broker")!;
    expect(broker.metadata.annotations!["eventing.knative.dev/broker.class"]).toBe("NatsJetStreamBroker");
    expect(JSON.parse(broker.metadata.annotations!["natsjetstream.eventing.knative.dev/config"]!).stream.replicas).toBe(3);
    expect(docs.filter((d) => d.kind === "Trigger").every((t) => names(descriptor).has(t.metadata.name.split("-")[1]))).toBe(true);
  });

  it("openfaas: stack.yml version 1.0 with every function, its topics, environment and limits; a connector per function", () => {
    const files = renderDeployment(descriptor, { target: "openfaas", clusterName: "east" });
    const stack = parse(files.find((f) => f.path === "openfaas/stack.yml")!.content);
    expect(stack.version).toBe("1.0");
    expect(stack.provider.name).toBe("openfaas");
    expect(functionNamesIn(Object.keys(stack.functions), "snapflow-")).toEqual(names(descriptor));
    for (const spec of descriptor.functions) {
      const f = stack.functions[`snapflow-${spec.name}`];
      expect(f.annotations.topic.split(",")).toEqual(eventSubjects(spec, "east"));
      expect(f.image).toBe(descriptor.provider.openfaasImage);
      expect(f.environment.upstream_url).toBe("http://127.0.0.1:8081");
      expect(f.limits).toBeDefined();
      expect(f.environment.fprocess).toContain(`function ${spec.name} `);
      expect(f.namespace).toBe("openfaas-fn");
    }
    const connectors = manifests(files).filter((d) => d.kind === "Deployment" && d.metadata.name.startsWith("snapflow-connector-"));
    expect(functionNamesIn(connectors.map((c) => c.metadata.name), "snapflow-connector-")).toEqual(names(descriptor));
  });

  it("kubernetes: a Deployment, Service and dispatcher per function", () => {
    const docs = manifests(renderDeployment(descriptor, { target: "kubernetes" }));
    const deployments = docs.filter((d) => d.kind === "Deployment").map((d) => d.metadata.name);
    expect(functionNamesIn(deployments.filter((n) => !n.startsWith("snapflow-dispatcher-") && !["snapflow-watcher", "snapflow-gateway"].includes(n)), "snapflow-")).toEqual(names(descriptor));
    expect(functionNamesIn(deployments, "snapflow-dispatcher-")).toEqual(names(descriptor));
    const dispatcher = docs.find((d) => d.metadata.name === "snapflow-dispatcher-bind")!;
    expect(dispatcher.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(dispatcher.spec.template.spec.containers[0].args).toContain("bind=http://snapflow-bind.snapflow.svc/bind");
    expect(docs.find((d) => d.kind === "Deployment" && d.metadata.name === "snapflow-watcher")!.spec.template.spec.containers[0].args).toContain("local");
  });

  it("refuses an unknown target or a bad cluster name", () => {
    expect(() => renderDeployment(descriptor, { target: "lambda" as Target })).toThrow(/unknown target "lambda"/);
    expect(() => renderDeployment(descriptor, { target: "knative", clusterName: "a.b" })).toThrow(/invalid cluster name "a\.b"/);
  });

  it("dead letters name the function Knative failed to deliver to", () => {
    expect(functionOfErrorDest("http://snapflow-bind.snapflow.svc.cluster.local")).toBe("bind");
    expect(functionOfErrorDest("http://other.ns.svc")).toBe("unknown");
    expect(functionOfErrorDest(undefined)).toBe("unknown");
  });
});

afterAll(() => undefined);

describe("the dispatcher's consumer set from serverless.yml", () => {
  it("delivers each function with the concurrency the descriptor gives it, unless --concurrency overrides", () => {
    const targets = functionTargets({ functionsUrl: "http://127.0.0.1:1", function: [] });
    for (const spec of descriptor.functions) expect(targets.find((t) => t.name === spec.name)!.concurrency, spec.name).toBe(spec.concurrency);
    expect(functionTargets({ functionsUrl: "http://127.0.0.1:1", function: [], concurrency: 3 }).every((t) => t.concurrency === 3)).toBe(true);
  });
});
