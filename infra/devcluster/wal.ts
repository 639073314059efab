// Durable state: a snapshot file plus append-only logs. Writes are batched and fdatasync'd together
// (group commit); a write's promise settles only once its record is on disk. When the log grows
// past the snapshot's size the state is rotated into a new snapshot in the background.
import {
  promises as fsp,
  openSync,
  closeSync,
  readFileSync,
  existsSync,
  writeSync,
  fsyncSync,
  readdirSync,
  ftruncateSync,
  fdatasync,
} from "node:fs";
import { join } from "node:path";

export interface WalRecord {
  rv: number;
  /** "put" stores the object, "del" removes it, "mark" only advances the resourceVersion. */
  op: "put" | "del" | "mark";
  k?: string;
  id?: string;
  o?: unknown;
}

export interface LoadedState {
  rv: number;
  entries: Array<{ k: string; o: unknown }>;
}

const SNAPSHOT = "snapshot.jsonl";
const walName = (seq: number) => `wal-${String(seq).padStart(8, "0")}.log`;
const MIN_COMPACT_BYTES = 32 * 1024 * 1024;

/** Reads the snapshot and every later log, in order. A torn final line (crash mid-write) is cut off. */
export function loadState(dir: string): { state: Map<string, { k: string; o: unknown }>; rv: number; seq: number } {
  const state = new Map<string, { k: string; o: unknown }>();
  let rv = 0;
  let seq = 1;
  const snapPath = join(dir, SNAPSHOT);
  if (existsSync(snapPath)) {
    const lines = readFileSync(snapPath, "utf8").split("\n");
    const header = JSON.parse(lines[0]) as { rv: number; seq: number };
    rv = header.rv;
    seq = header.seq;
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i]) continue;
      const e = JSON.parse(lines[i]) as { k: string; id: string; o: unknown };
      state.set(`${e.k}|${e.id}`, { k: e.k, o: e.o });
    }
  }
  const logs = readdirSync(dir)
    .map((f) => /^wal-(\d+)\.log$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((s) => s >= seq)
    .sort((a, b) => a - b);
  for (const s of logs) {
    const path = join(dir, walName(s));
    const text = readFileSync(path, "utf8");
    let validEnd = 0;
    let pos = 0;
    while (pos < text.length) {
      const nl = text.indexOf("\n", pos);
      if (nl < 0) break;
      const line = text.slice(pos, nl);
      let rec: WalRecord;
      try {
        rec = JSON.parse(line) as WalRecord;
      } catch {
        break;
      }
      pos = nl + 1;
      validEnd = pos;
      if (rec.rv <= rv && rec.op !== "mark") continue;
      rv = Math.max(rv, rec.rv);
      if (rec.op === "put") state.set(`${rec.k}|${rec.id}`, { k: rec.k!, o: rec.o });
      else if (rec.op === "del") state.delete(`${rec.k}|${rec.id}`);
    }
    if (validEnd < text.length) {
      const fd = openSync(path, "r+");
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, validEnd)));
      fsyncSync(fd);
      closeSync(fd);
    }
    seq = s;
  }
  return { state, rv, seq };
}

type Pending = { line: string; resolve: () => void; reject: (e: Error) => void; after?: () => void };

export class Wal {
  private fd: number;
  private seq: number;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private walBytes = 0;
  private snapshotBytes = 0;
  private closed = false;
  private compacting: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    seq: number,
    /** Returns every live object (immutable references) for a snapshot at the current rv. */
    private readonly snapshotSource: () => { rv: number; entries: Array<{ k: string; id: string; o: unknown }> },
    private readonly onFlushed: () => void,
    /** The log is rotated into a snapshot once it outgrows both this and the last snapshot. */
    private readonly compactBytes = MIN_COMPACT_BYTES,
  ) {
    this.seq = seq;
    this.fd = openSync(join(dir, walName(seq)), "a");
    const snap = join(dir, SNAPSHOT);
    this.snapshotBytes = existsSync(snap) ? readFileSync(snap).length : 0;
  }

  /** Appends synchronously and fsyncs: for the start-up marker, before anything is served. */
  appendSync(rec: WalRecord): void {
    writeSync(this.fd, JSON.stringify(rec) + "\n");
    fsyncSync(this.fd);
  }

  /** Queues a record; resolves once it is durable. */
  append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      // Let the current tick's writes join the batch.
      await new Promise<void>((r) => setImmediate(r));
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const data = Buffer.from(batch.map((p) => p.line).join(""));
        try {
          const handle = this.fd;
          // The write only reaches the page cache: done in place, it costs less than a hand-off to
          // the thread pool. The fdatasync, which waits for the disk, stays off the event loop.
          writeAllSync(handle, data);
          await fdatasyncAsync(handle);
          this.walBytes += data.length;
          for (const p of batch) p.resolve();
        } catch (e) {
          for (const p of batch) p.reject(e as Error);
        }
        this.onFlushed();
        if (!this.compacting && this.walBytes > Math.max(this.compactBytes, this.snapshotBytes)) this.compacting = this.compact();
        if (this.queue.length > 0) await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.flushing = undefined;
      if (this.queue.length > 0 && !this.closed) this.flushing = this.flushLoop();
    }
  }

  /** Rotates to a new log and writes a snapshot of the state; older logs go once it is durable. */
  private async compact(): Promise<void> {
    try {
      const oldSeq = this.seq;
      const newSeq = oldSeq + 1;
      const newFd = openSync(join(this.dir, walName(newSeq)), "a");
      const oldFd = this.fd;
      this.fd = newFd;
      this.seq = newSeq;
      this.walBytes = 0;
      const snap = this.snapshotSource();
      closeSync(oldFd);
      const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
      const fh = await fsp.open(tmp, "w");
      let bytes = 0;
      try {
        let chunk = JSON.stringify({ rv: snap.rv, seq: newSeq }) + "\n";
        for (const e of snap.entries) {
          chunk += JSON.stringify(e) + "\n";
          if (chunk.length > 1 << 20) {
            await fh.write(chunk);
            bytes += Buffer.byteLength(chunk);
            chunk = "";
          }
        }
        await fh.write(chunk);
        bytes += Buffer.byteLength(chunk);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, join(this.dir, SNAPSHOT));
      const dirFd = await fsp.open(this.dir, "r");
      await dirFd.sync().catch(() => undefined);
      await dirFd.close();
      this.snapshotBytes = bytes;
      for (const f of await fsp.readdir(this.dir)) {
        const m = /^wal-(\d+)\.log$/.exec(f);
        if (m && Number(m[1]) < newSeq) await fsp.unlink(join(this.dir, f)).catch(() => undefined);
      }
    } finally {
      this.compacting = undefined;
    }
  }

  /** Forces a snapshot now (used at start-up when the logs are long, and by tests). */
  async compactNow(): Promise<void> {
    await this.flushing;
    if (this.compacting) await this.compacting;
    this.compacting = this.compact();
    await this.compacting;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.compacting) await this.compacting;
    this.closed = true;
    closeSync(this.fd);
  }
}

function writeAllSync(fd: number, buf: Buffer): void {
  let offset = 0;
  while (offset < buf.length) offset += writeSync(fd, buf, offset, buf.length - offset, null);
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}
