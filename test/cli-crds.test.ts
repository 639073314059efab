// `snapflow crds render`, run in-process through its command module (starting the whole CLI would
// also load every other subcommand, which is slow and tests nothing of this one).
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { register } from "../cli/commands/crds.js";
import { renderAllCrdsYaml } from "../infra/crds/render.js";

const shippedDir = join(dirname(fileURLToPath(import.meta.url)), "../infra/crds/yaml");

describe("snapflow crds render", () => {
  async function run(args: string[]): Promise<string> {
    const program = new Command("snapflow").exitOverride();
    register(program);
    let printed = "";
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(["node", "snapflow", ...args]);
    } finally {
      write.mockRestore();
    }
    return printed;
  }

  it("--out writes one file per CRD, identical to the shipped YAML, and names them", async () => {
    const out = await mkdtemp(join(tmpdir(), "snapflow-crds-"));
    try {
      const printed = await run(["crds", "render", "--out", out]);
      const files = (await readdir(out)).sort();
      expect(files).toEqual((await readdir(shippedDir)).sort());
      expect(printed.trim().split("\n").sort()).toEqual(files.map((f) => join(out, f)).sort());
      for (const f of files) {
        expect(await readFile(join(out, f), "utf8"), f).toBe(await readFile(join(shippedDir, f), "utf8"));
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("without --out prints every CRD as one YAML stream", async () => {
    const printed = await run(["crds", "render"]);
    expect(printed).toBe(renderAllCrdsYaml());
    expect(parseAllDocuments(printed).map((d) => (d.toJS() as { metadata: { name: string } }).metadata.name)).toHaveLength(6);
  });
});
