// `snapflow deploy render --target knative|openfaas|kubernetes [--cluster-name N] [--out DIR]`:
// serverless.yml rendered as manifests (infra/deploy). Without --out: one YAML stream on stdout.
import type { Command } from "commander";
import { loadDescriptor, renderDeployment, renderStream, TARGETS, writeRendered, type Target } from "../../infra/deploy/index.js";

interface RenderCli {
  target: string;
  clusterName?: string;
  out?: string;
  descriptor?: string;
  generateSecrets?: boolean;
}

export function register(program: Command): void {
  const deploy = program.command("deploy").description("deployment manifests derived from serverless.yml");
  deploy
    .command("render")
    .description("render serverless.yml for Knative, OpenFaaS or plain Kubernetes (deterministic output)")
    .requiredOption("--target <target>", `one of ${TARGETS.join(", ")}`)
    .option("--cluster-name <name>", "cluster name in subjects, triggers and watcher (default: provider.clusterName)")
    .option("--out <dir>", "write one file per part plus kustomization.yaml here (kubectl apply -k DIR)")
    .option("--descriptor <file>", "serverless.yml to render (default: the repository's)")
    .option("--generate-secrets", "fill the gateway token with a random value (output is then not reproducible)")
    .action(async (o: RenderCli) => {
      if (!(TARGETS as readonly string[]).includes(o.target)) throw new Error(`--target: unknown target "${o.target}" (known: ${TARGETS.join(", ")})`);
      const descriptor = o.descriptor ? loadDescriptor(o.descriptor) : loadDescriptor();
      const files = renderDeployment(descriptor, { target: o.target as Target, clusterName: o.clusterName, generateSecrets: o.generateSecrets ?? false });
      if (o.out === undefined) {
        process.stdout.write(renderStream(files));
        if (o.target === "openfaas") process.stderr.write("note: openfaas/stack.yml is written only with --out DIR\n");
        return;
      }
      for (const path of await writeRendered(o.out, files)) process.stdout.write(`${path}\n`);
      if (!o.generateSecrets) process.stderr.write(`note: fill the gateway token in ${o.out}/secrets.yaml (or render with --generate-secrets) before kubectl apply -k ${o.out}\n`);
    });
}
