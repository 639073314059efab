// `snapflow bench-validation`: cost of one write through the CRD validator (prune, default, schema and
// CEL), as JSON.
import type { Command } from "commander";
import { runValidationBench, writeValidationBenchResult } from "../../bench/crd-validation.js";

export function register(program: Command): void {
  program
    .command("bench-validation")
    .description("benchmark snapshot-object writes through the CRD validator (JSON to stdout and bench-results/validation.json)")
    .option("--iterations <n>", "writes per kind and operation", "20000")
    .option("--out <file>", "where to write the JSON", "bench-results/validation.json")
    .action(async (o: { iterations: string; out: string }) => {
      const iterations = Number(o.iterations);
      if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`--iterations must be a positive integer, got ${o.iterations}`);
      const result = runValidationBench(iterations);
      await writeValidationBenchResult(result, o.out);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
