// `snapflow bench-events` (npm run bench:events): the event backbone's throughput and latency, as JSON.
import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("bench-events")
    .description("benchmark API write → function ack through watcher, JetStream and dispatcher (JSON to stdout and bench-results/events.json)")
    .option("--events <n>", "objects written in the throughput phase", "3000")
    .option("--rate <n>", "writes per second in the latency phase", "500")
    .option("--seconds <n>", "length of the latency phase", "6")
    .option("--out <file>", "where to write the JSON", "bench-results/events.json")
    .action(async (o: { events: string; rate: string; seconds: string; out: string }) => {
      const { runEventsBench, writeBenchResult } = await import("../../bench/events.js");
      const result = await runEventsBench({ throughputEvents: Number(o.events), latencyRate: Number(o.rate), latencySeconds: Number(o.seconds) });
      await writeBenchResult(result, o.out);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
