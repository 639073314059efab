import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readCheckpoint, serializeCheckpoint, serializeCheckpointInChunks, STATE_FILE, writeCheckpoint } from "./checkpoint.js";
import type { DriverState } from "./state-types.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-checkpoint-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function bigState(snapshots: number): DriverState {
  const state: DriverState = { volumes: {}, snapshots: {}, groups: {} };
  state.volumes["vol-1"] = { id: "vol-1", name: 'pvc "quoted" ü', capacityBytes: 5, requiredBytes: 5, limitBytes: 0, parameters: { a: "b" }, mutableParameters: {} };
  for (let i = 0; i < snapshots; i++) {
    const id = `snap-${String(i).padStart(6, "0")}`;
    state.snapshots[id] = { id, name: `snapshot-${i}`, sourceVolumeId: "vol-1", sizeBytes: 5, creationTimeNs: "1", parameters: {} };
  }
  return state;
}

describe("checkpoint", () => {
  it("serialises in chunks to exactly the text of one JSON.stringify, and reads it back", async () => {
    const state = bigState(1234);
    const body = await serializeCheckpointInChunks(state, 42);
    expect(body).toBe(serializeCheckpoint(state, 42));
    expect(await serializeCheckpointInChunks({ volumes: {}, snapshots: {}, groups: {} }, 0)).toBe(
      serializeCheckpoint({ volumes: {}, snapshots: {}, groups: {} }, 0),
    );
    await writeCheckpoint(dir, body);
    const read = await readCheckpoint(dir);
    expect(read).toMatchObject({ seq: 42, legacy: false, bytes: Buffer.byteLength(body) });
    expect(read!.state).toEqual(state);
    expect(await fs.readdir(dir)).toEqual([STATE_FILE]);
  });

  it("is absent for a fresh data dir", async () => {
    expect(await readCheckpoint(dir)).toBeUndefined();
  });
});
