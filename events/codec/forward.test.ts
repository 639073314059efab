import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { CloudEventError, forwardHttpToNats, fromHttpMessage, natsHeaderMap, toNatsMessage, utf8 } from "./index.js";

function entries(h: MsgHdrs): Record<string, string> {
  return Object.fromEntries(natsHeaderMap(h));
}

/** What the long way (build the event, then encode it for NATS) gives, or its error message. */
function longWay(headers: Headers, body: Uint8Array): { headers: Record<string, string>; data: number[] } | string {
  try {
    const out = toNatsMessage(fromHttpMessage(headers, body));
    return { headers: entries(out.headers), data: [...out.data] };
  } catch (err) {
    return (err as Error).message;
  }
}

function shortWay(headers: Headers, body: Uint8Array): { headers: Record<string, string>; data: number[] } | string {
  try {
    const out = forwardHttpToNats(headers, body);
    return { headers: entries(out.headers), data: [...out.data] };
  } catch (err) {
    expect(err).toBeInstanceOf(CloudEventError);
    return (err as Error).message;
  }
}

const audit = {
  "content-type": "application/json",
  "ce-specversion": "1.0",
  "ce-id": "0b6c2d4e-1111-2222-3333-444455556666",
  "ce-source": "/clusters/east/functions/bind",
  "ce-type": "dev.snapflow.audit.bind.succeeded",
  "ce-time": "2026-11-22T19:00:00.000Z",
  "ce-cluster": "east",
  "ce-function": "bind",
  "ce-outcome": "nothing",
  "ce-subject": "uid-1",
  "ce-namespace": "default",
  "ce-name": "snap-1",
  "ce-eventid": "uid-1.42.added",
};

describe("forwardHttpToNats: a reply forwarded from HTTP to NATS", () => {
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    ["a function's audit reply", {}, '{"outcome":"nothing"}'],
    ["percent-encoded values (non-ASCII, space, quote)", { "ce-name": "Gr%C3%BC%C3%9Fe%20%22x%22", "ce-comment": "100%25" }, "{}"],
    ["lower-case escapes are re-encoded canonically", { "ce-name": "a%2fb%c3%a4" }, "{}"],
    ["raw non-ASCII from a lenient sender", { "ce-name": "Gr\u00fc\u00dfe" }, "{}"],
    ["a space in a value", { "ce-name": "two words" }, "{}"],
    ["ce-datacontenttype without content-type", { "content-type": undefined, "ce-datacontenttype": "text/plain" }, ""],
    ["ce-datacontenttype and content-type: the header wins", { "ce-datacontenttype": "text/plain" }, "{}"],
    ["empty content-type", { "content-type": "", "ce-datacontenttype": "application/json" }, "{}"],
    ["no body", {}, ""],
    ["no specversion", { "ce-specversion": undefined }, "{}"],
    ["specversion 0.3", { "ce-specversion": "0.3" }, "{}"],
    ["empty specversion", { "ce-specversion": "" }, "{}"],
    ["missing id", { "ce-id": undefined }, "{}"],
    ["missing source", { "ce-source": undefined }, "{}"],
    ["empty type", { "ce-type": "" }, "{}"],
    ["invalid attribute name", { "ce-bad-name": "x" }, "{}"],
    ["bad time", { "ce-time": "yesterday" }, "{}"],
    ["malformed escape", { "ce-name": "%zz" }, "{}"],
    ["escape that is not UTF-8", { "ce-name": "%C3%28" }, "{}"],
  ];
  for (const [what, change, body] of cases) {
    it(`${what}: as toNatsMessage(fromHttpMessage(...))`, () => {
      const init: Record<string, string> = { ...audit };
      for (const [k, v] of Object.entries(change)) {
        if (v === undefined) delete init[k];
        else init[k] = v;
      }
      const headers = new Headers(init);
      const bytes = utf8(body);
      expect(shortWay(headers, bytes)).toEqual(longWay(headers, bytes));
    });
  }

  it("returns the decoded id and type", () => {
    const out = forwardHttpToNats(new Headers({ ...audit, "ce-id": "a%20b" }), utf8("{}"));
    expect(out).toMatchObject({ id: "a b", type: "dev.snapflow.audit.bind.succeeded" });
    expect(out.headers.get("ce-id")).toBe("a%20b");
  });

  it("structured mode goes the long way", () => {
    const body = utf8(JSON.stringify({ specversion: "1.0", id: "s1", source: "/s", type: "dev.snapflow.audit.bind.failed", data: { a: 1 } }));
    const headers = new Headers({ "content-type": "application/cloudevents+json" });
    const out = forwardHttpToNats(headers, body);
    expect(out).toMatchObject({ id: "s1", type: "dev.snapflow.audit.bind.failed" });
    expect(shortWay(headers, body)).toEqual(longWay(headers, body));
  });
});

describe("natsHeaderMap", () => {
  it("lower-cases names and keeps the first value of each", () => {
    const h = natsHeaders();
    h.set("Ce-Id", "x");
    h.append("ce-type", "t1");
    h.append("ce-type", "t2");
    h.set("Nats-Msg-Id", "m");
    expect(natsHeaderMap(h)).toEqual(new Map([["ce-id", "x"], ["ce-type", "t1"], ["nats-msg-id", "m"]]));
    expect(natsHeaderMap(undefined).size).toBe(0);
  });
});
