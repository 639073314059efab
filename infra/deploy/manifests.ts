// Builders for the plain Kubernetes objects every target shares, and the YAML writer. Objects are
// built with their keys in a fixed order, so the same descriptor always renders the same bytes.
import { stringify } from "yaml";
import type { RbacRule } from "./descriptor.js";

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

export interface RenderedFile {
  /** Relative to the output directory. */
  path: string;
  content: string;
}

export const PART_OF = "snapflow";

export function labels(component: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "app.kubernetes.io/name": component, "app.kubernetes.io/part-of": PART_OF, ...extra };
}

export function toYaml(objects: readonly object[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join("");
}

export function file(path: string, objects: readonly object[]): RenderedFile {
  return { path, content: toYaml(objects) };
}

export function namespace(name: string): Manifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: labels("snapflow") } };
}

export function serviceAccount(name: string, ns: string, component: string, automount = true): Manifest {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace: ns, labels: labels(component) },
    ...(automount ? {} : { automountServiceAccountToken: false }),
  };
}

/** Rules in a canonical order (by group, then resource), verbs sorted: diffs stay small. */
export function canonicalRules(rules: readonly RbacRule[]): RbacRule[] {
  return rules
    .map((r) => ({ apiGroups: [...r.apiGroups].sort(), resources: [...r.resources].sort(), verbs: [...r.verbs].sort() }))
    .sort((a, b) => `${a.apiGroups.join(",")}|${a.resources.join(",")}`.localeCompare(`${b.apiGroups.join(",")}|${b.resources.join(",")}`));
}

/** A ClusterRole with exactly these rules and its binding to one ServiceAccount. */
export function clusterRoleFor(name: string, ns: string, component: string, rules: readonly RbacRule[]): Manifest[] {
  return [
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name, labels: labels(component) }, rules: canonicalRules(rules) },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name, labels: labels(component) },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
    },
  ];
}

export function secret(name: string, ns: string, component: string, stringData: Record<string, string>): Manifest {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns, labels: labels(component) }, type: "Opaque", stringData };
}

export function configMap(name: string, ns: string, component: string, data: Record<string, string>): Manifest {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels: labels(component) }, data };
}

export function service(name: string, ns: string, component: string, port: number, targetPort: number): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns, labels: labels(component) },
    spec: { selector: { "app.kubernetes.io/name": component }, ports: [{ name: "http", port, targetPort, protocol: "TCP" }] },
  };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

export function envList(env: Record<string, string>): EnvVar[] {
  return Object.keys(env)
    .sort()
    .map((name) => ({ name, value: env[name]! }));
}

export function deployment(o: {
  name: string;
  ns: string;
  component: string;
  replicas: number;
  serviceAccountName: string;
  containers: object[];
  volumes?: object[];
  automountToken?: boolean;
  /** Pod-wide non-root rule (default true); off where a vendor container may need root. */
  podNonRoot?: boolean;
}): Manifest {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: o.name, namespace: o.ns, labels: labels(o.component) },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { "app.kubernetes.io/name": o.component } },
      template: {
        metadata: { labels: labels(o.component) },
        spec: {
          serviceAccountName: o.serviceAccountName,
          ...(o.automountToken === false ? { automountServiceAccountToken: false } : {}),
          ...(o.podNonRoot === false ? {} : { securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } } }),
          // The root filesystem is read-only; tsx (which runs snapflow's TypeScript) caches in /tmp.
          containers: o.containers.map((c) => ({ ...c, volumeMounts: [...(((c as { volumeMounts?: object[] }).volumeMounts) ?? []), { name: "tmp", mountPath: "/tmp" }] })),
          volumes: [...(o.volumes ?? []), { name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
}

export const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
