import type { Command } from "commander";

type Loader = () => Promise<{ register(program: Command): void }>;

// Subcommand name → the module that registers it. Only the module of the command being run is
// loaded (each pulls in its own heavy dependencies: the AWS SDK, client-node, gRPC, ...), so a CLI
// process starts in a fraction of the time; help and unknown names load them all.
const commands: Record<string, Loader> = {
  audit: () => import("./audit.js"),
  bench: () => import("./bench.js"),
  "bench-cluster": () => import("./bench-cluster.js"),
  "bench-driver": () => import("./bench-driver.js"),
  "bench-events": () => import("./bench-events.js"),
  "bench-functions": () => import("./bench-functions.js"),
  "bench-groups": () => import("./bench-groups.js"),
  "bench-validation": () => import("./bench-validation.js"),
  "chaos-cluster": () => import("./chaos-cluster.js"),
  cluster: () => import("./cluster.js"),
  crds: () => import("./crds.js"),
  "dead-letters": () => import("./dead-letters.js"),
  deploy: () => import("./deploy.js"),
  dispatch: () => import("./dispatch.js"),
  function: () => import("./function.js"),
  functions: () => import("./function.js"),
  gateway: () => import("./gateway.js"),
  hostpath: () => import("./hostpath.js"),
  up: () => import("./up.js"),
  watch: () => import("./watch.js"),
};

export const commandNames: readonly string[] = Object.keys(commands);

/** Registers the subcommand named in argv (argv[2]), or every subcommand when none is recognised. */
export async function registerCommands(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  const wanted = argv[2];
  const loaders = wanted !== undefined && commands[wanted] ? [commands[wanted]] : [...new Set(Object.values(commands))];
  const modules = await Promise.all(loaders.map((load) => load()));
  for (const module of new Set(modules)) module.register(program);
}
