// `snapflow bench-functions` (npm run bench:functions): kube client and function framework
// throughput and latency against the dev cluster, as JSON.
import type { Command } from "commander";
import { runFunctionsBench, writeFunctionsBench } from "../../bench/functions.js";

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${value}`);
  return n;
}

export function register(program: Command): void {
  program
    .command("bench-functions")
    .description("benchmark the kube client and the function framework against the dev cluster (JSON to stdout and bench-results/functions.json)")
    .option("--operations <n>", "operations per measurement", positive, 2000)
    .option("--concurrency <n>", "requests in flight", positive, 16)
    .option("--out <file>", "where to write the JSON", "bench-results/functions.json")
    .action(async (o: { operations: number; concurrency: number; out: string }) => {
      const result = await runFunctionsBench({ operations: o.operations, concurrency: o.concurrency });
      await writeFunctionsBench(result, o.out);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
