// Child process for crash.test.ts: commits state changes as fast as it can, several in flight, with
// a tiny compaction threshold so segment rotations and checkpoints happen all the time, and prints
// "ack <n>" only after commit() resolved, i.e. when the driver would have answered. The test kills
// it with SIGKILL at an arbitrary moment. Usage: node --import tsx crash-writer.ts DIR FIRST
import { StateStore } from "../../infra/hostpath/state.js";

const [dir, firstArg] = process.argv.slice(2);
const store = await StateStore.open(dir!, { minCompactBytes: 4096 });
let next = Number(firstArg);
process.stdout.write(`ready ${store.stats.seq}\n`);

async function lane(): Promise<never> {
  for (;;) {
    const n = next++;
    const id = `vol-${n}`;
    await store.commit([
      { put: "volumes", record: { id, name: `pvc-${n}`, capacityBytes: n, requiredBytes: n, limitBytes: 0, parameters: {}, mutableParameters: {} } },
      // Every third change also removes an older volume: replay must apply deletes in order too.
      ...(n % 3 === 0 && n > 10 ? [{ delete: "volumes" as const, id: `vol-${n - 10}` }] : []),
    ]);
    process.stdout.write(`ack ${n}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, lane));
