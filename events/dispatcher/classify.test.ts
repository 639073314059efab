import { describe, expect, it } from "vitest";
import { classify, retryAfterMs } from "./classify.js";
import { Semaphore } from "./semaphore.js";

const h = (init: Record<string, string> = {}) => new Headers(init);

describe("classify (DESIGN: function HTTP answers)", () => {
  it.each([200, 201, 204])("%i → ack", (status) => expect(classify(status, h())).toEqual({ kind: "ack" }));
  it.each([409, 429, 408, 500, 502, 503, 504])("%i → retry", (status) => expect(classify(status, h()).kind).toBe("retry"));
  it.each([400, 401, 403, 404, 413, 415, 422])("%i → dead letter", (status) => expect(classify(status, h())).toEqual({ kind: "dead", reason: `HTTP ${status}` }));
  it("no answer (network error, timeout) → retry", () => expect(classify(0, h())).toMatchObject({ kind: "retry" }));
  it("a function's requeue (503 + x-snapflow-retry-after-ms) is not a failure", () => {
    expect(classify(503, h({ "retry-after": "2", "x-snapflow-retry-after-ms": "1500" }))).toEqual({ kind: "requeue", delayMs: 1500 });
  });
  it("a plain 503 with Retry-After retries after that delay", () => {
    expect(classify(503, h({ "retry-after": "3" }))).toEqual({ kind: "retry", delayMs: 3000, reason: "HTTP 503" });
  });
});

describe("retryAfterMs", () => {
  it("prefers the millisecond header, then Retry-After seconds, then an HTTP date", () => {
    expect(retryAfterMs(h({ "x-snapflow-retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfterMs(h({ "retry-after": "9" }))).toBe(9000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(h({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(5000);
    expect(retryAfterMs(h({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(h())).toBeUndefined();
  });
});

describe("Semaphore", () => {
  it("admits at most `limit` holders and hands over in order", async () => {
    const s = new Semaphore(2);
    await s.acquire();
    await s.acquire();
    const order: number[] = [];
    const third = s.acquire().then(() => order.push(3));
    const fourth = s.acquire().then(() => order.push(4));
    expect(s.inUse).toBe(2);
    s.release();
    await third;
    s.release();
    await fourth;
    expect(order).toEqual([3, 4]);
    expect(() => new Semaphore(0)).toThrow(/at least 1/);
  });
});
