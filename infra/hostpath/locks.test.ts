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
});
