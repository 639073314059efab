// DIR/state.json: the checkpoint the journal is replayed onto. Written whole, atomically (temp file,
// fsync, rename, directory fsync), so a crash leaves the old or the new checkpoint, never a torn one.
//
// Version 2 records `seq`, the last journal record it includes. Version 1 is the driver's earlier
// format (every change rewrote it; there was no journal): it loads as a checkpoint at seq 0 and is
// rewritten as version 2 at the next start, so an old data dir migrates without losing anything.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fsyncDir } from "./fsync.js";
import type { DriverState } from "./state-types.js";

export const STATE_FILE = "state.json";
export const CHECKPOINT_VERSION = 2;

export interface Checkpoint {
  state: DriverState;
  seq: number;
  /** Read from a version 1 file (to be rewritten as version 2). */
  legacy: boolean;
  bytes: number;
}

/** The checkpoint, or undefined for a fresh data dir. A file that does not parse stops the start. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); refusing to start over it`);
  }
  const s = parsed as Partial<DriverState & { version: number; seq: number }> | null;
  const versionOk = s !== null && typeof s === "object" && (s.version === 1 || (s.version === CHECKPOINT_VERSION && Number.isSafeInteger(s.seq) && s.seq! >= 0));
  if (!versionOk || !isRecord(s.volumes) || !isRecord(s.snapshots) || !isRecord(s.groups)) {
    throw new Error(`${file} is not a hostpath driver state file (version 1 or ${CHECKPOINT_VERSION}); refusing to start over it`);
  }
  return {
    state: { volumes: s.volumes, snapshots: s.snapshots, groups: s.groups },
    seq: s.version === 1 ? 0 : s.seq!,
    legacy: s.version === 1,
    bytes: Buffer.byteLength(text),
  };
}

/** The checkpoint's text for `state` as of journal record `seq` (serialised at once: a consistent copy). */
export function serializeCheckpoint(state: DriverState, seq: number): string {
  return JSON.stringify({ version: CHECKPOINT_VERSION, seq, volumes: state.volumes, snapshots: state.snapshots, groups: state.groups });
}

/** Records serialised between two yields to the event loop. */
const CHUNK_RECORDS = 500;

/**
 * The same text as serializeCheckpoint, built a chunk at a time with the event loop free in between,
 * so that calls in flight are not held up for the whole serialisation of a large state. `state`
 * must not change meanwhile: pass a copy of the maps (records themselves are never mutated).
 */
export async function serializeCheckpointInChunks(state: DriverState, seq: number): Promise<string> {
  const parts: string[] = [`{"version":${CHECKPOINT_VERSION},"seq":${seq}`];
  for (const collection of ["volumes", "snapshots", "groups"] as const) {
    const entries = Object.entries(state[collection]);
    const members: string[] = [];
    for (let i = 0; i < entries.length; i += CHUNK_RECORDS) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const [id, record] of entries.slice(i, i + CHUNK_RECORDS)) members.push(`${JSON.stringify(id)}:${JSON.stringify(record)}`);
    }
    parts.push(`,"${collection}":{${members.join(",")}}`);
  }
  parts.push("}");
  return parts.join("");
}

export async function writeCheckpoint(dir: string, body: string): Promise<void> {
  const tmp = path.join(dir, `${STATE_FILE}.tmp-${randomBytes(6).toString("hex")}`);
  const handle = await fs.open(tmp, "w", 0o600);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, path.join(dir, STATE_FILE));
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Temp files of a checkpoint write that never reached its rename are garbage. */
export async function removeCheckpointLeftovers(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith(`${STATE_FILE}.tmp-`)) await fs.rm(path.join(dir, entry), { force: true });
  }
}

function isRecord(value: unknown): value is Record<string, never> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
