// `snapflow crds render [--out DIR]`: the snapshot CRDs as YAML, for installing on a real cluster.
import type { Command } from "commander";
import { renderAllCrdsYaml, writeCrdYamlFiles } from "../../infra/crds/render.js";

export function register(program: Command): void {
  const crds = program.command("crds").description("snapflow's snapshot CustomResourceDefinitions");
  crds
    .command("render")
    .description("render the six snapshot CRDs as YAML: one file each into --out, or one stream on stdout")
    .option("--out <dir>", "directory to write <group>_<plural>.yaml files into")
    .action(async (options: { out?: string }) => {
      if (options.out === undefined) {
        process.stdout.write(renderAllCrdsYaml());
        return;
      }
      for (const path of await writeCrdYamlFiles(options.out)) process.stdout.write(`${path}\n`);
    });
}
