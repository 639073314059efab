// Renders the CRDs as YAML for real clusters, one file per CRD named as upstream names them
// (<group>_<plural>.yaml). Keys are sorted so the output is stable and diffable.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { snapshotCrds } from "./index.js";

export function crdFileName(crd: CustomResourceDefinition): string {
  return `${crd.spec.group}_${crd.spec.names.plural}.yaml`;
}

export function renderCrdYaml(crd: CustomResourceDefinition): string {
  // lineWidth 0: never fold long descriptions, so a reader's diff shows whole sentences.
  return "---\n" + stringify(crd, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
}

/** Every snapshot CRD as one multi-document YAML stream (what `kubectl apply -f -` takes). */
export function renderAllCrdsYaml(): string {
  return snapshotCrds().map(renderCrdYaml).join("");
}

/** Writes one YAML file per CRD into `dir` (created if missing); returns the paths written. */
export async function writeCrdYamlFiles(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const crd of snapshotCrds()) {
    const path = join(dir, crdFileName(crd));
    await writeFile(path, renderCrdYaml(crd));
    written.push(path);
  }
  return written;
}
