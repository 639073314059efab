// The driver's durable record of volumes, snapshots and groups: one JSON file, DIR/state.json.
//
// Every change is applied to a copy, written to a temp file, fsynced and renamed over state.json
// (then the directory is fsynced), and only then becomes the state the driver answers from. So a
// reply is only ever sent for a change that is on disk, and a crash leaves either the old or the
// new file, never a torn one. Updates are queued so each one sees the previous.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";

export type StringMap = Record<string, string>;

export type ContentSource = { snapshotId: string } | { volumeId: string };

export interface VolumeRecord {
  id: string;
  name: string;
  capacityBytes: number;
  /** The request's capacity range, kept to judge whether a repeated CreateVolume is compatible. */
  requiredBytes: number;
  limitBytes: number;
  parameters: StringMap;
  mutableParameters: StringMap;
  source?: ContentSource;
}

export interface SnapshotRecord {
  id: string;
  /** "" for group members: their names are the driver's business, not a caller's idempotency key. */
  name: string;
  sourceVolumeId: string;
  sizeBytes: number;
  /** Unix nanoseconds, decimal. */
  creationTimeNs: string;
  parameters: StringMap;
  groupId?: string;
}

export interface GroupRecord {
  id: string;
  name: string;
  sourceVolumeIds: string[];
  snapshotIds: string[];
  parameters: StringMap;
  creationTimeNs: string;
}

export interface DriverState {
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
  groups: Record<string, GroupRecord>;
}

interface StateFile extends DriverState {
  version: 1;
}

export const STATE_FILE = "state.json";

export function emptyState(): DriverState {
  return { volumes: {}, snapshots: {}, groups: {} };
}

export class StateStore {
  private current: DriverState;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    initial: DriverState,
  ) {
    this.current = initial;
  }

  /** Reads DIR/state.json (absent means a fresh driver). A file that does not parse stops the start. */
  static async open(dir: string): Promise<StateStore> {
    const file = path.join(dir, STATE_FILE);
    let text: string | undefined;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    // Temp files of a write that never reached its rename are garbage.
    for (const entry of await fs.readdir(dir)) {
      if (entry.startsWith(`${STATE_FILE}.tmp-`)) await fs.rm(path.join(dir, entry), { force: true });
    }
    return new StateStore(dir, text === undefined ? emptyState() : parseState(text, file));
  }

  /** The committed state. Treat as read-only: change it through update(). */
  get state(): Readonly<DriverState> {
    return this.current;
  }

  /** Applies `change` to a copy, persists it durably, then publishes it. Resolves to change's result. */
  update<T>(change: (draft: DriverState) => T): Promise<T> {
    const run = async () => {
      const draft = structuredClone(this.current);
      const result = change(draft);
      await writeDurably(this.dir, draft);
      this.current = draft;
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits for queued writes to finish. */
  async flush(): Promise<void> {
    await this.queue;
  }
}

function parseState(text: string, file: string): DriverState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); refusing to start over it`);
  }
  const s = parsed as Partial<StateFile>;
  if (s === null || typeof s !== "object" || s.version !== 1 || !isRecord(s.volumes) || !isRecord(s.snapshots) || !isRecord(s.groups)) {
    throw new Error(`${file} is not a hostpath driver state file (version 1); refusing to start over it`);
  }
  return { volumes: s.volumes, snapshots: s.snapshots, groups: s.groups };
}

function isRecord(value: unknown): value is Record<string, never> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

async function writeDurably(dir: string, state: DriverState): Promise<void> {
  const body: StateFile = { version: 1, ...state };
  const tmp = path.join(dir, `${STATE_FILE}.tmp-${randomBytes(6).toString("hex")}`);
  const handle = await fs.open(tmp, "w", 0o600);
  try {
    await handle.writeFile(JSON.stringify(body));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, path.join(dir, STATE_FILE));
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Makes a rename or create inside `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
