import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { snapshotCrds } from "./index.js";
import { crdFileName, renderAllCrdsYaml, renderCrdYaml } from "./render.js";

const here = dirname(fileURLToPath(import.meta.url));
const shippedDir = join(here, "yaml");

describe("shipped CRD YAML", () => {
  it("is exactly what the definitions render (run `snapflow crds render --out infra/crds/yaml` after a change)", async () => {
    const crds = snapshotCrds();
    expect((await readdir(shippedDir)).sort()).toEqual(crds.map(crdFileName).sort());
    for (const crd of crds) {
      expect(await readFile(join(shippedDir, crdFileName(crd)), "utf8"), crdFileName(crd)).toBe(renderCrdYaml(crd));
    }
  });

  it("parses back to the same objects", () => {
    const parsed = parseAllDocuments(renderAllCrdsYaml()).map((d) => d.toJS());
    expect(parsed).toStrictEqual(snapshotCrds());
  });

  it("uses no YAML anchors or aliases, which some tools reject", () => {
    const text = renderAllCrdsYaml();
    expect(text).not.toMatch(/: &a\d+/);
    expect(text).not.toMatch(/: \*a\d+/);
  });
});

describe("snapshotCrds()", () => {
  it("hands out independent copies", () => {
    const first = snapshotCrds();
    first[0]!.spec.versions[0]!.additionalPrinterColumns!.length = 0;
    first[0]!.spec.versions[0]!.schema!.openAPIV3Schema!.description = "changed";
    const second = snapshotCrds();
    expect(second[0]!.spec.versions[0]!.additionalPrinterColumns!.length).toBeGreaterThan(0);
    expect(second[0]!.spec.versions[1]!.additionalPrinterColumns!.length).toBeGreaterThan(0);
    expect(second[0]!.spec.versions[0]!.schema!.openAPIV3Schema!.description).not.toBe("changed");
  });

  it("has exactly one storage version per CRD and v1 served everywhere", () => {
    for (const crd of snapshotCrds()) {
      expect(crd.spec.versions.filter((v) => v.storage).length, crd.metadata.name).toBe(1);
      expect(crd.spec.versions.find((v) => v.name === "v1")?.served, crd.metadata.name).toBe(true);
    }
  });
});
