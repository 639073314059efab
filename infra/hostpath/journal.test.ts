import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { crc32 } from "./crc32.js";
import { encodeRecord, JOURNAL_DIR, JournalWriter, listSegments, parseSegment, readJournal, segmentName, type JournalRecord } from "./journal.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-journal-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const records = (...seqs: number[]) => Buffer.concat(seqs.map((seq) => encodeRecord(seq, { n: seq })));

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});

describe("parseSegment", () => {
  it("reads back what encodeRecord wrote, including text with newlines and non-ASCII", () => {
    const buf = Buffer.concat([encodeRecord(1, { text: "a\nb" }), encodeRecord(2, { text: "ünïcode" })]);
    expect(parseSegment(buf, "seg")).toEqual({ records: [{ seq: 1, data: { text: "a\nb" } }, { seq: 2, data: { text: "ünïcode" } }] });
  });

  it("drops a torn last record: cut mid-line, checksum mismatch, or zero-filled blocks", () => {
    const good = records(1, 2);
    const third = encodeRecord(3, { n: 3 });
    const cut = Buffer.concat([good, third.subarray(0, third.length - 5)]);
    expect(parseSegment(cut, "seg")).toEqual({ records: [{ seq: 1, data: { n: 1 } }, { seq: 2, data: { n: 2 } }], tornAt: good.length });
    const flipped = Buffer.from(third);
    flipped[flipped.length - 3] ^= 0x01;
    expect(parseSegment(Buffer.concat([good, flipped]), "seg").tornAt).toBe(good.length);
    expect(parseSegment(Buffer.concat([good, Buffer.alloc(4096)]), "seg").tornAt).toBe(good.length);
  });

  it("refuses a damaged record that has intact records after it (corruption, not a torn write)", () => {
    const first = encodeRecord(1, { n: 1 });
    first[first.length - 4] ^= 0x20;
    expect(() => parseSegment(Buffer.concat([first, records(2)]), "seg")).toThrow(/damaged but later records are intact/);
  });
});

async function writeSegment(start: number, content: Buffer): Promise<void> {
  await fs.mkdir(path.join(dir, JOURNAL_DIR), { recursive: true });
  await fs.writeFile(path.join(dir, JOURNAL_DIR, segmentName(start)), content);
}

describe("readJournal", () => {
  it("replays segments in order, skipping what the checkpoint already has", async () => {
    await writeSegment(1, records(1, 2, 3));
    await writeSegment(4, records(4, 5));
    const all = await readJournal(dir, 0);
    expect(all.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(all.torn).toBe(false);
    expect((await readJournal(dir, 3)).records.map((r) => r.seq)).toEqual([4, 5]);
    expect((await readJournal(dir, 5)).records).toEqual([]);
  });

  it("tolerates a torn tail only in the newest segment", async () => {
    await writeSegment(1, Buffer.concat([records(1, 2), Buffer.from("0badc0de {\"seq\":3")]));
    const read = await readJournal(dir, 0);
    expect(read.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(read.torn).toBe(true);
    await writeSegment(3, records(3));
    await expect(readJournal(dir, 0)).rejects.toThrow(/sealed segment/);
  });

  it("refuses gaps: inside the journal, or between the checkpoint and the journal", async () => {
    await writeSegment(1, records(1, 2, 4));
    await expect(readJournal(dir, 0)).rejects.toThrow(/follows record 2/);
    await fs.rm(path.join(dir, JOURNAL_DIR), { recursive: true });
    await writeSegment(5, records(5, 6));
    await expect(readJournal(dir, 3)).rejects.toThrow(/checkpoint ends at 3/);
    expect((await readJournal(dir, 4)).records.map((r) => r.seq)).toEqual([5, 6]);
  });

  it("reads a data dir without a journal as empty", async () => {
    expect(await readJournal(dir, 7)).toEqual({ records: [], torn: false, segments: [] });
  });
});

describe("JournalWriter", () => {
  it("group-commits appends that arrive while a write is in flight, applying and resolving them in order", async () => {
    const applied: JournalRecord[] = [];
    const writer = await JournalWriter.open(dir, 1, (record) => applied.push(record));
    const resolvedOrder: number[] = [];
    // The first append starts a write at once; the other 49 queue behind it and share the next one.
    const seqs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        writer.append({ i }).then((seq) => {
          // Applied before its promise resolves.
          expect(applied.some((r) => r.seq === seq)).toBe(true);
          resolvedOrder.push(seq);
          return seq;
        }),
      ),
    );
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(resolvedOrder).toEqual(seqs);
    expect(applied.map((r) => r.data)).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
    expect(writer.writes).toBe(2);
    await writer.close();
    expect((await readJournal(dir, 0)).records).toEqual(applied);
  });

  it("rotates between writes: the sealed segment ends at the reported seq, the next starts after it", async () => {
    const writer = await JournalWriter.open(dir, 10, () => undefined);
    await writer.append("a");
    await writer.append("b");
    let sealed = 0;
    const pending = writer.append("c");
    await writer.rotate((seq) => (sealed = seq));
    await pending;
    await writer.append("d");
    await writer.close();
    expect(sealed).toBe(12);
    const segments = await listSegments(dir);
    expect(segments.map((s) => s.start)).toEqual([10, 13]);
    expect(parseSegment(await fs.readFile(segments[0]!.file), "seg").records.map((r) => r.data)).toEqual(["a", "b", "c"]);
    expect(parseSegment(await fs.readFile(segments[1]!.file), "seg").records.map((r) => r.data)).toEqual(["d"]);
  });

  it("rejects appends whose write fails, applies nothing, and refuses further writes once the file state is unknown", async () => {
    // A segment that is really /dev/full: every write fails with ENOSPC and it cannot be truncated back.
    await fs.mkdir(path.join(dir, JOURNAL_DIR));
    await fs.symlink("/dev/full", path.join(dir, JOURNAL_DIR, segmentName(1)));
    const applied: JournalRecord[] = [];
    const writer = await JournalWriter.open(dir, 1, (record) => applied.push(record));
    await expect(writer.append("lost")).rejects.toThrow(/ENOSPC|no space/i);
    await expect(writer.append("after")).rejects.toThrow(/unusable after a failed write/);
    expect(applied).toEqual([]);
    expect(writer.seq).toBe(0);
    await writer.close();
  });
});
