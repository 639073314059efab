// An append-only journal of state changes with group commit, kept as numbered segment files in
// DIR/journal/ (`<first seq, 20 digits>.log`).
//
// A record is one line, `<crc32 of the JSON, 8 hex> <{"seq":N,"data":...}>\n`, numbered without gaps.
// Records that arrive while a write is in flight are written together by the next write and made
// durable by one fdatasync; each append() resolves only after its record is on disk, and `apply` has
// been called for it (in seq order). So a caller never answers for a change that a crash could lose,
// and 16 changes in flight cost about one fsync, not 16.
//
// A crash can only tear the last, unacknowledged write, so on load a bad record is tolerated only at
// the very end of the newest segment (with nothing valid after it). A bad record anywhere else is
// corruption: reading stops the start instead of silently dropping acknowledged changes.
import * as fs from "node:fs/promises";
import { writeSync } from "node:fs";
import * as path from "node:path";
import { crc32Hex } from "./crc32.js";
import { fsyncDir } from "./fsync.js";

export const JOURNAL_DIR = "journal";
const SEGMENT_RE = /^(\d{20})\.log$/;

export interface JournalRecord {
  seq: number;
  data: unknown;
}

export interface Segment {
  /** The first seq this segment was opened for. */
  start: number;
  file: string;
}

export function segmentName(start: number): string {
  return `${String(start).padStart(20, "0")}.log`;
}

export function encodeRecord(seq: number, data: unknown): Buffer {
  const json = Buffer.from(JSON.stringify({ seq, data }), "utf8");
  return Buffer.concat([Buffer.from(`${crc32Hex(json)} `, "ascii"), json, Buffer.from("\n", "ascii")]);
}

/** The record on this line (without its newline), or undefined if it is not a well-formed record. */
function decodeLine(line: Buffer): JournalRecord | undefined {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const json = line.subarray(9);
  if (line.subarray(0, 8).toString("ascii") !== crc32Hex(json)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString("utf8"));
  } catch {
    return undefined;
  }
  const record = parsed as Partial<JournalRecord> | null;
  if (record === null || typeof record !== "object" || !Number.isSafeInteger(record.seq) || !("data" in record)) return undefined;
  return { seq: record.seq!, data: record.data };
}

export interface ParsedSegment {
  records: JournalRecord[];
  /** Byte offset where a torn tail starts (absent: the segment ends cleanly). */
  tornAt?: number;
}

/**
 * Splits a segment into records. A bad record with no valid record after it is a torn tail; a bad
 * record followed by a valid one is corruption and throws.
 */
export function parseSegment(buf: Buffer, file: string): ParsedSegment {
  const records: JournalRecord[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const end = buf.indexOf(0x0a, offset);
    const record = end < 0 ? undefined : decodeLine(buf.subarray(offset, end));
    if (!record) {
      if (hasValidRecordAfter(buf, end < 0 ? buf.length : end + 1)) {
        throw new Error(`${file}: record at byte ${offset} is damaged but later records are intact; refusing to start over a corrupt journal`);
      }
      return { records, tornAt: offset };
    }
    records.push(record);
    offset = end + 1;
  }
  return { records };
}

function hasValidRecordAfter(buf: Buffer, from: number): boolean {
  let offset = from;
  while (offset < buf.length) {
    const end = buf.indexOf(0x0a, offset);
    if (end < 0) return false;
    if (decodeLine(buf.subarray(offset, end))) return true;
    offset = end + 1;
  }
  return false;
}

export async function listSegments(dir: string): Promise<Segment[]> {
  const journalDir = path.join(dir, JOURNAL_DIR);
  let entries: string[];
  try {
    entries = await fs.readdir(journalDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const segments: Segment[] = [];
  for (const entry of entries) {
    const match = SEGMENT_RE.exec(entry);
    if (match) segments.push({ start: Number(match[1]), file: path.join(journalDir, entry) });
  }
  return segments.sort((a, b) => a.start - b.start);
}

export interface JournalContents {
  /** Records after `afterSeq`, in order, without gaps. */
  records: JournalRecord[];
  /** The newest segment ended in a torn (never acknowledged) write. */
  torn: boolean;
  segments: Segment[];
}

/** Reads every segment; returns the records newer than `afterSeq` (what a checkpoint at afterSeq lacks). */
export async function readJournal(dir: string, afterSeq: number): Promise<JournalContents> {
  const segments = await listSegments(dir);
  const records: JournalRecord[] = [];
  let torn = false;
  let previous: number | undefined;
  for (const [i, segment] of segments.entries()) {
    const parsed = parseSegment(await fs.readFile(segment.file), segment.file);
    if (parsed.tornAt !== undefined) {
      const isNewest = i === segments.length - 1;
      if (!isNewest) throw new Error(`${segment.file}: damaged record at byte ${parsed.tornAt} in a sealed segment; refusing to start over a corrupt journal`);
      torn = true;
    }
    for (const record of parsed.records) {
      if (previous !== undefined && record.seq !== previous + 1) {
        throw new Error(`${segment.file}: record ${record.seq} follows record ${previous}; refusing to start over a journal with a gap`);
      }
      previous = record.seq;
      if (record.seq <= afterSeq) continue;
      if (records.length === 0 && record.seq !== afterSeq + 1) {
        throw new Error(`${segment.file}: the journal resumes at record ${record.seq} but the checkpoint ends at ${afterSeq}; refusing to start with changes missing`);
      }
      records.push(record);
    }
  }
  return { records, torn, segments };
}

interface PendingAppend {
  kind: "append";
  data: unknown;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

interface PendingRotate {
  kind: "rotate";
  onRotated: (sealedThroughSeq: number) => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Appends to the newest segment; a single writer loop owns the file. */
export class JournalWriter {
  private queue: Array<PendingAppend | PendingRotate> = [];
  private idleWaiters: Array<() => void> = [];
  private writing = false;
  private broken: Error | undefined;
  private lastSeq: number;
  private size = 0;
  private segmentStart: number;
  private writeCount = 0;

  private constructor(
    private readonly dir: string,
    private handle: fs.FileHandle,
    nextSeq: number,
    private readonly apply: (record: JournalRecord) => void,
  ) {
    this.lastSeq = nextSeq - 1;
    this.segmentStart = nextSeq;
  }

  /**
   * Starts a fresh segment for records from `nextSeq` on (replacing an empty or torn leftover of that
   * name). `apply` sees each record once it is durable, in seq order, before its append resolves.
   */
  static async open(dir: string, nextSeq: number, apply: (record: JournalRecord) => void): Promise<JournalWriter> {
    await fs.mkdir(path.join(dir, JOURNAL_DIR), { recursive: true });
    const handle = await openSegment(dir, nextSeq);
    return new JournalWriter(dir, handle, nextSeq, apply);
  }

  /** Bytes in the current segment (what compaction would let go of). */
  get segmentBytes(): number {
    return this.size;
  }

  /** Durable writes so far (each one fdatasync shared by every record in it). */
  get writes(): number {
    return this.writeCount;
  }

  /** The newest durable seq. */
  get seq(): number {
    return this.lastSeq;
  }

  /** The first seq of the segment being appended to; older segments are sealed. */
  get currentSegmentStart(): number {
    return this.segmentStart;
  }

  /** Resolves with the record's seq once it is durable (and applied). */
  append(data: unknown): Promise<number> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: "append", data, resolve, reject });
      this.kick();
    });
  }

  /**
   * Between two writes: seals the current segment, starts the next one, and calls `onRotated` with
   * the last sealed seq while nothing newer has been applied (so it can take a consistent copy).
   */
  rotate(onRotated: (sealedThroughSeq: number) => void): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: "rotate", onRotated, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once every append and rotation queued so far has finished. */
  flush(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for queued work, then closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }

  private kick(): void {
    if (this.writing) return;
    this.writing = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === "rotate") {
          this.queue.shift();
          await this.runRotate(head);
          continue;
        }
        const stop = this.queue.findIndex((item) => item.kind === "rotate");
        const batch = this.queue.splice(0, stop < 0 ? this.queue.length : stop) as PendingAppend[];
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    if (this.broken) {
      for (const item of batch) item.reject(this.broken);
      return;
    }
    const records = batch.map((item, i) => ({ seq: this.lastSeq + 1 + i, data: item.data }));
    const buf = Buffer.concat(records.map((r) => encodeRecord(r.seq, r.data)));
    try {
      writeAt(this.handle, buf, this.size);
      await this.handle.datasync();
    } catch (err) {
      await this.undoPartialWrite(err);
      for (const item of batch) item.reject(err);
      return;
    }
    this.size += buf.length;
    this.lastSeq += records.length;
    this.writeCount++;
    for (const [i, record] of records.entries()) {
      this.apply(record);
      batch[i]!.resolve(record.seq);
    }
  }

  /**
   * A failed write may have left part of the batch in the file. Cut it off so that the records the
   * callers were told failed can never come back on the next load; if even that fails, the file's
   * state is unknown and the journal takes no more writes.
   */
  private async undoPartialWrite(cause: unknown): Promise<void> {
    try {
      await this.handle.truncate(this.size);
      await this.handle.datasync();
    } catch {
      this.broken = new Error(`hostpath state journal is unusable after a failed write (${(cause as Error).message}); restart the driver`);
    }
  }

  private async runRotate(item: PendingRotate): Promise<void> {
    if (this.broken) return item.reject(this.broken);
    const nextStart = this.lastSeq + 1;
    if (nextStart !== this.segmentStart) {
      let next: fs.FileHandle;
      try {
        next = await openSegment(this.dir, nextStart);
      } catch (err) {
        return item.reject(err);
      }
      await this.handle.close().catch(() => undefined);
      this.handle = next;
      this.segmentStart = nextStart;
      this.size = 0;
    }
    item.onRotated(this.lastSeq);
    item.resolve();
  }
}

async function openSegment(dir: string, start: number): Promise<fs.FileHandle> {
  const journalDir = path.join(dir, JOURNAL_DIR);
  // "w": a file of this name can only be an empty or torn leftover (its records would be older).
  const handle = await fs.open(path.join(journalDir, segmentName(start)), "w", 0o600);
  try {
    // The new name must survive a crash before records that only fdatasync the file land in it.
    await fsyncDir(journalDir);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/**
 * Positional, so a write after an undone one lands right after the last good record. Synchronous: a
 * batch of records is a few KiB landing in the page cache, cheaper than a thread-pool round trip (and
 * the single writer loop never appends while its own fdatasync of the file runs). The wait for the
 * disk is the fdatasync after it, which stays asynchronous.
 */
function writeAt(handle: fs.FileHandle, buf: Buffer, position: number): void {
  let offset = 0;
  while (offset < buf.length) offset += writeSync(handle.fd, buf, offset, buf.length - offset, position + offset);
}

/** Removes segments that a checkpoint covers entirely (every one older than `keepFrom`). */
export async function removeSegmentsBefore(dir: string, keepFrom: number): Promise<void> {
  for (const segment of await listSegments(dir)) {
    if (segment.start < keepFrom) await fs.rm(segment.file, { force: true });
  }
}
