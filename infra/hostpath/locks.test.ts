import { describe, expect, it } from "vitest";
import { KeyedLocks } from "./locks.js";

describe("KeyedLocks", () => {
  it("serialises holders of the same key and lets other keys run", async () => {
    const locks = new KeyedLocks();
    const order: string[] = [];
    const releaseA = await locks.acquire(["a"]);
    const waitingA = locks.with(["a"], async () => {
      order.push("second a");
    });
    await locks.with(["b"], async () => {
      order.push("b while a held");
    });
    order.push("release a");
    releaseA();
    await waitingA;
    expect(order).toEqual(["b while a held", "release a", "second a"]);
    expect(locks.busyKeys).toEqual([]);
  });

  it("never deadlocks when callers name overlapping keys in opposite orders", async () => {
    const locks = new KeyedLocks();
    let inside = 0;
    let maxInside = 0;
    const work = async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((resolve) => setImmediate(resolve));
      inside--;
    };
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => locks.with(i % 2 ? ["x", "y"] : ["y", "x"], work)),
    );
    expect(maxInside).toBe(1);
    expect(locks.busyKeys).toEqual([]);
  });

  it("releases on failure and tolerates a double release", async () => {
    const locks = new KeyedLocks();
    await expect(locks.with(["k"], async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const release = await locks.acquire(["k"]);
    release();
    release();
    expect(await locks.with(["k"], async () => "free")).toBe("free");
  });

  it("lets any number of shared holders in at once, and keeps them and an exclusive holder apart", async () => {
    const locks = new KeyedLocks();
    const readers = await Promise.all(Array.from({ length: 5 }, () => locks.acquire({ shared: ["src"] })));
    const order: string[] = [];
    const writer = locks.with({ exclusive: ["src"] }, async () => {
      order.push("writer");
    });
    // A reader that comes after a waiting writer queues behind it: writers are not starved.
    const lateReader = locks.with({ shared: ["src"] }, async () => {
      order.push("late reader");
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    for (const release of readers) release();
    await Promise.all([writer, lateReader]);
    expect(order).toEqual(["writer", "late reader"]);
    expect(locks.busyKeys).toEqual([]);
  });

  it("admits readers queued together as one group once the writer leaves", async () => {
    const locks = new KeyedLocks();
    const releaseWriter = await locks.acquire({ exclusive: ["k"] });
    let inside = 0;
    let maxInside = 0;
    const reader = () =>
      locks.with({ shared: ["k"] }, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((resolve) => setImmediate(resolve));
        inside--;
      });
    const readers = Array.from({ length: 4 }, reader);
    releaseWriter();
    await Promise.all(readers);
    expect(maxInside).toBe(4);
  });

  it("treats a key asked for both ways as exclusive, and mixes modes across keys without deadlock", async () => {
    const locks = new KeyedLocks();
    const release = await locks.acquire({ exclusive: ["k"], shared: ["k"] });
    let entered = false;
    const other = locks.with({ shared: ["k"] }, async () => {
      entered = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(entered).toBe(false);
    release();
    await other;
    // Restores (shared source, exclusive name) racing deletes (exclusive source) in both key orders.
    let exclusiveInside = 0;
    let overlap = false;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 3 === 0
          ? locks.with({ exclusive: ["snap"] }, async () => {
              exclusiveInside++;
              await new Promise((resolve) => setImmediate(resolve));
              exclusiveInside--;
            })
          : locks.with({ exclusive: [`name-${i}`], shared: ["snap"] }, async () => {
              if (exclusiveInside > 0) overlap = true;
              await new Promise((resolve) => setImmediate(resolve));
            }),
      ),
    );
    expect(overlap).toBe(false);
    expect(locks.busyKeys).toEqual([]);
  });
});
