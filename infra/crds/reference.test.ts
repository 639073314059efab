// The project's CRDs must be schema-equivalent to upstream's (kept under ../shared/reference/crds when
// available): same fields, types, descriptions, rules, columns, names and versions.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { snapshotCrds } from "./index.js";

const referenceDir = join(dirname(fileURLToPath(import.meta.url)), "../../../shared/reference/crds");
const haveReference = existsSync(referenceDir);

/** What is not part of the schema: server-filled status and the generator's own stamp. */
function normalise(crd: CustomResourceDefinition): CustomResourceDefinition {
  const copy = structuredClone(crd);
  delete copy.status;
  const annotations = { ...copy.metadata.annotations };
  delete annotations["controller-gen.kubebuilder.io/version"];
  copy.metadata = { name: copy.metadata.name, annotations };
  return copy;
}

function loadReference(): Map<string, CustomResourceDefinition> {
  const out = new Map<string, CustomResourceDefinition>();
  for (const file of readdirSync(referenceDir).filter((f) => f.endsWith(".yaml"))) {
    for (const d of parseAllDocuments(readFileSync(join(referenceDir, file), "utf8"))) {
      const crd = d.toJS() as CustomResourceDefinition | null;
      if (crd) out.set(crd.metadata.name!, crd);
    }
  }
  return out;
}

describe.skipIf(!haveReference)("snapshot CRDs against the upstream reference", () => {
  const reference = haveReference ? loadReference() : new Map<string, CustomResourceDefinition>();
  const ours = snapshotCrds();

  it("defines exactly the reference's CRDs", () => {
    expect(ours.map((c) => c.metadata.name).sort()).toEqual([...reference.keys()].sort());
  });

  for (const crd of ours) {
    it(`${crd.metadata.name} equals the reference after normalising`, () => {
      const expected = reference.get(crd.metadata.name!);
      expect(expected).toBeDefined();
      // Version by version first, so a mismatch names the version it is in.
      const want = normalise(expected!);
      const got = normalise(crd);
      for (let i = 0; i < Math.max(want.spec.versions.length, got.spec.versions.length); i++) {
        expect(got.spec.versions[i], `version #${i}`).toStrictEqual(want.spec.versions[i]);
      }
      expect(got).toStrictEqual(want);
    });
  }
});
