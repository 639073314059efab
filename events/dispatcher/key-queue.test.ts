import { describe, expect, it } from "vitest";
import { KeyQueue } from "./key-queue.js";

interface Msg {
  id: string;
  seq: number;
}
const msg = (id: string, seq: number): Msg => ({ id, seq });

describe("KeyQueue: one call per object at a time", () => {
  it("runs the first message of a key at once and keeps later ones of that key until it is done", () => {
    const q = new KeyQueue<Msg>((m) => m.seq);
    expect(q.offer("a", msg("a1", 1))).toEqual({ run: true });
    expect(q.offer("b", msg("b1", 2))).toEqual({ run: true });
    expect(q.offer("a", msg("a2", 3))).toEqual({ run: false, superseded: undefined });
    expect(q.waitingSize).toBe(1);
    expect([...q.waiting()].map((m) => m.id)).toEqual(["a2"]);
    // a1 done: a2 runs next, the key stays busy while it does.
    expect(q.done("a")?.id).toBe("a2");
    expect(q.waitingSize).toBe(0);
    expect(q.offer("a", msg("a3", 4))).toEqual({ run: false, superseded: undefined });
    expect(q.done("a")?.id).toBe("a3");
    expect(q.done("a")).toBeUndefined();
    // Idle again: the next message runs at once.
    expect(q.offer("a", msg("a4", 5))).toEqual({ run: true });
  });

  it("keeps only the newest waiting message of a key, whatever order they arrive in", () => {
    const q = new KeyQueue<Msg>((m) => m.seq);
    q.offer("a", msg("running", 1));
    q.offer("a", msg("older", 5));
    expect(q.offer("a", msg("newer", 7))).toEqual({ run: false, superseded: msg("older", 5) });
    // A redelivery of something older than what waits gives way to it.
    expect(q.offer("a", msg("stale", 3))).toEqual({ run: false, superseded: msg("stale", 3) });
    expect(q.waitingSize).toBe(1);
    expect(q.done("a")?.id).toBe("newer");
  });

  it("done on a key with nothing waiting frees it; waiting() lists every key's waiting message", () => {
    const q = new KeyQueue<Msg>((m) => m.seq);
    q.offer("a", msg("a1", 1));
    q.offer("b", msg("b1", 2));
    q.offer("a", msg("a2", 3));
    q.offer("b", msg("b2", 4));
    expect([...q.waiting()].map((m) => m.id).sort()).toEqual(["a2", "b2"]);
    expect(q.done("b")?.id).toBe("b2");
    expect(q.done("b")).toBeUndefined();
    expect(q.offer("b", msg("b3", 5))).toEqual({ run: true });
  });
});
