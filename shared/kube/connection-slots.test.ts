import { describe, expect, it } from "vitest";
import { ConnectionSlots, type SlotWaiter } from "./connection-slots.js";

function recorder(): SlotWaiter<string> & { got?: string } {
  const w: SlotWaiter<string> & { got?: string } = {
    start(slot) {
      w.got = slot;
    },
  };
  return w;
}

describe("ConnectionSlots", () => {
  it("opens connections only while every open one is busy, up to the limit", () => {
    let n = 0;
    const slots = new ConnectionSlots(2, () => `c${++n}`);
    const [a, b, c] = [recorder(), recorder(), recorder()];
    slots.acquire(a);
    slots.acquire(b);
    slots.acquire(c);
    expect([a.got, b.got, c.got]).toEqual(["c1", "c2", undefined]);
    expect(slots.connections()).toEqual(["c1", "c2"]);
  });

  it("hands a released connection to the longest waiter", () => {
    let n = 0;
    const slots = new ConnectionSlots(1, () => `c${++n}`);
    const [a, b, c] = [recorder(), recorder(), recorder()];
    slots.acquire(a);
    slots.acquire(b);
    slots.acquire(c);
    slots.release("c1");
    expect([b.got, c.got]).toEqual(["c1", undefined]);
    slots.release("c1");
    expect(c.got).toBe("c1");
  });

  it("reuses the most recently released connection (sequential calls stay on one)", () => {
    let n = 0;
    const slots = new ConnectionSlots(4, () => `c${++n}`);
    const [a, b] = [recorder(), recorder()];
    slots.acquire(a);
    slots.acquire(b);
    slots.release("c1");
    slots.release("c2");
    for (let i = 0; i < 3; i++) {
      const r = recorder();
      slots.acquire(r);
      expect(r.got).toBe("c2");
      slots.release("c2");
    }
    expect(slots.connections()).toHaveLength(2);
  });

  it("refuses a limit below one", () => {
    expect(() => new ConnectionSlots(0, () => "c")).toThrow(/at least 1/);
  });
});
