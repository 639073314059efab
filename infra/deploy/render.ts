// `snapflow deploy render`: the descriptor rendered for one target as a directory of YAML files and
// a kustomization.yaml listing every Kubernetes manifest (so `kubectl apply -k DIR` works).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { assertClusterName } from "./names.js";
import type { Descriptor } from "./descriptor.js";
import type { RenderContext } from "./common.js";
import { renderKnative } from "./knative.js";
import { renderKubernetes } from "./kubernetes.js";
import type { RenderedFile } from "./manifests.js";
import { OPENFAAS_FUNCTION_NAMESPACE, renderOpenfaas } from "./openfaas.js";

export const TARGETS = ["knative", "openfaas", "kubernetes"] as const;
export type Target = (typeof TARGETS)[number];

export interface RenderOptions {
  target: Target;
  /** Default: the descriptor's provider.clusterName. */
  clusterName?: string;
  /** Random gateway token instead of an empty key for the user to fill. Off by default: output stays deterministic. */
  generateSecrets?: boolean;
}

/** Files that are not Kubernetes manifests (kustomize must not read them). */
const NOT_MANIFESTS = new Set(["openfaas/stack.yml"]);

function kustomization(files: readonly RenderedFile[]): RenderedFile {
  const resources = files.map((f) => f.path).filter((p) => !NOT_MANIFESTS.has(p));
  const content = stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources }, { lineWidth: 0 });
  return { path: "kustomization.yaml", content };
}

export function renderDeployment(d: Descriptor, options: RenderOptions): RenderedFile[] {
  if (!(TARGETS as readonly string[]).includes(options.target)) throw new Error(`unknown target "${options.target}" (known: ${TARGETS.join(", ")})`);
  const cluster = assertClusterName(options.clusterName ?? d.provider.clusterName);
  const ctx: RenderContext = {
    d,
    ns: d.provider.namespace,
    cluster,
    functionNamespace: options.target === "openfaas" ? OPENFAAS_FUNCTION_NAMESPACE : d.provider.namespace,
    generateSecrets: options.generateSecrets ?? false,
  };
  const files = options.target === "knative" ? renderKnative(ctx) : options.target === "openfaas" ? renderOpenfaas(ctx) : renderKubernetes(ctx);
  return [...files, kustomization(files)];
}

/** Writes the files under `dir` (created as needed); returns the paths written. */
export async function writeRendered(dir: string, files: readonly RenderedFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.content, { mode: f.path === "secrets.yaml" ? 0o600 : 0o644 });
    written.push(path);
  }
  return written;
}

/** Every Kubernetes manifest as one YAML stream (what `kubectl apply -f -` takes); stack.yml needs --out. */
export function renderStream(files: readonly RenderedFile[]): string {
  return files
    .filter((f) => f.path !== "kustomization.yaml" && !NOT_MANIFESTS.has(f.path))
    .map((f) => f.content)
    .join("");
}
