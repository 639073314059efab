// `snapflow bench-driver` (npm run bench:driver): storage-path benchmarks as JSON on stdout and in
// bench-results/driver.json. Each half fills one key of the result:
//   snapshot — hostpath CreateSnapshot of a 1 GiB / 1,000-file volume vs `cp -a` (infra/hostpath/bench.ts)
//   gateway  — gateway overhead per call over calling the driver directly (cli/bench/gateway-overhead.ts)
//   scale    — hostpath CreateSnapshot / restore latency at 16 in flight with 0 and 20,000 stored snapshots (infra/hostpath/bench-scale.ts)
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { measureSnapshotVsCp } from "../../infra/hostpath/bench.js";
import { measureDriverAtScale } from "../../infra/hostpath/bench-scale.js";
import { measureGatewayOverhead } from "../bench/gateway-overhead.js";

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`not a positive integer: ${value}`);
    return n;
  };
}

const HALVES = ["snapshot", "gateway", "scale"] as const;
type Half = (typeof HALVES)[number];

function halves(value: string): Half[] {
  const parts = value.split(",").map((p) => p.trim());
  for (const part of parts) {
    if (!(HALVES as readonly string[]).includes(part)) throw new InvalidArgumentError(`expected some of ${HALVES.join(", ")}, not ${JSON.stringify(part)}`);
  }
  return parts as Half[];
}

function counts(value: string): number[] {
  const parts = value.split(",").map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 0)) throw new InvalidArgumentError(`expected comma-separated counts >= 0, not ${value}`);
  return parts;
}

function copyEngine(value: string): "auto" | "copy" {
  if (value !== "auto" && value !== "copy") throw new InvalidArgumentError(`auto or copy, not ${value}`);
  return value;
}

interface BenchDriverOptions {
  out: string;
  dir?: string;
  files: number;
  mib: number;
  rounds: number;
  fsync: boolean;
  calls: number;
  copyEngine: "auto" | "copy";
  only: Half[];
  scaleExisting: number[];
  scaleCalls: number;
  inFlight: number;
}

export function register(program: Command): void {
  program
    .command("bench-driver")
    .description("benchmark the storage path: hostpath snapshot vs cp -a, gateway overhead per call, driver latency at scale (JSON to stdout and bench-results/driver.json)")
    .option("--out <file>", "where to write the JSON", "bench-results/driver.json")
    .option("--dir <dir>", "scratch directory on the disk to measure (default: OS temp dir)")
    .option("--files <n>", "files in the snapshotted volume", positiveInt("--files"), 1000)
    .option("--mib <n>", "total MiB in the snapshotted volume", positiveInt("--mib"), 1024)
    .option("--rounds <n>", "measurements per side (median reported)", positiveInt("--rounds"), 3)
    .option("--calls <n>", "gateway half: measured calls per operation and path", positiveInt("--calls"), 2000)
    .option("--no-fsync", "run the driver without fsyncing copies (crash-safe, not power-loss-safe)")
    .option("--copy-engine <engine>", "auto (reflink clone of the whole tree where possible) or copy (per-file copies)", copyEngine, "auto")
    .option("--only <halves>", `run only these (comma-separated: ${HALVES.join(", ")})`, halves, [...HALVES])
    .option("--scale-existing <counts>", "scale half: stored snapshots per level", counts, [0, 20000])
    .option("--scale-calls <n>", "scale half: measured calls per operation and level", positiveInt("--scale-calls"), 320)
    .option("--in-flight <n>", "scale half: calls in flight", positiveInt("--in-flight"), 16)
    .action(async (o: BenchDriverOptions) => {
      const result: Record<string, unknown> = { measuredAt: new Date().toISOString() };
      if (o.only.includes("snapshot")) {
        result.snapshot = await measureSnapshotVsCp({
          dir: o.dir,
          files: o.files,
          totalBytes: o.mib * 1024 * 1024,
          rounds: o.rounds,
          durable: o.fsync,
          copyEngine: o.copyEngine,
        });
      }
      if (o.only.includes("gateway")) result.gateway = await measureGatewayOverhead({ iterations: o.calls });
      if (o.only.includes("scale")) {
        result.scale = await measureDriverAtScale({
          dir: o.dir,
          existing: o.scaleExisting,
          calls: o.scaleCalls,
          inFlight: o.inFlight,
          durable: o.fsync,
          onPhase: (what) => process.stderr.write(`bench-driver: ${what}\n`),
        });
      }
      await fs.mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
      // With --only, the halves not run keep their last figures in the file.
      const kept = o.only.length < HALVES.length ? await previousResult(o.out) : {};
      await fs.writeFile(o.out, `${JSON.stringify({ ...kept, ...result }, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}

async function previousResult(file: string): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(file, "utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
