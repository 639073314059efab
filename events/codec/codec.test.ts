import { headers as natsHeaders } from "@nats-io/transport-node";
import { HTTP, CloudEvent as SdkCloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import {
  CloudEventError,
  cloudEventJson,
  decodeStructured,
  encodeStructured,
  fromHttpMessage,
  fromNatsMessage,
  jsonCloudEvent,
  percentDecode,
  percentEncode,
  toHttpRequest,
  toNatsMessage,
  utf8,
  type CloudEvent,
} from "./index.js";

const base = {
  id: "0a1b-uid.42.added",
  source: "/clusters/east",
  type: "dev.snapflow.k8s.volumesnapshots.added",
  subject: "0a1b-uid",
};

describe("percent encoding (HTTP binding §3.1.3.2, reused by NATS)", () => {
  it("leaves printable ASCII alone", () => {
    expect(percentEncode("/clusters/east-1_a.b~c")).toBe("/clusters/east-1_a.b~c");
  });
  it("encodes space, double quote, percent and non-ASCII as UTF-8 bytes", () => {
    expect(percentEncode('a b"c%d')).toBe("a%20b%22c%25d");
    expect(percentEncode("Euro €")).toBe("Euro%20%E2%82%AC");
    expect(percentEncode("line\r\nbreak")).toBe("line%0D%0Abreak");
    expect(percentEncode("😀")).toBe("%F0%9F%98%80");
  });
  it("round-trips arbitrary strings", () => {
    for (const s of ["", "plain", "ä ö ü ß", "%%%", "100% \"quoted\"", "日本語 テキスト", "tab\there", "😀 emoji"]) {
      expect(percentDecode(percentEncode(s))).toBe(s);
    }
  });
  it("rejects malformed escapes and invalid UTF-8", () => {
    expect(() => percentDecode("%zz")).toThrow(CloudEventError);
    expect(() => percentDecode("abc%4")).toThrow(CloudEventError);
    expect(() => percentDecode("%C3%28")).toThrow(CloudEventError);
  });
  it("accepts raw non-ASCII from lenient senders", () => {
    expect(percentDecode("Grüße 😀")).toBe("Grüße 😀");
  });
});

describe("NATS binding, binary mode", () => {
  it("maps attributes to ce- headers and datacontenttype to content-type", () => {
    const event = jsonCloudEvent({ ...base, namespace: "default", kind: "volumesnapshot" }, { metadata: { name: "snap" } });
    const message = toNatsMessage(event);
    expect(message.headers.get("ce-id")).toBe(base.id);
    expect(message.headers.get("ce-specversion")).toBe("1.0");
    expect(message.headers.get("ce-namespace")).toBe("default");
    expect(message.headers.get("content-type")).toBe("application/json");
    expect(message.headers.has("ce-datacontenttype")).toBe(false);
    expect(JSON.parse(new TextDecoder().decode(message.data))).toEqual({ metadata: { name: "snap" } });
  });

  it("round-trips non-ASCII, reserved characters and extensions", () => {
    const event: CloudEvent = {
      attributes: {
        specversion: "1.0",
        ...base,
        subject: 'name with spaces, "quotes" and 100%',
        comment: "Grüße aus Köln € 😀",
        kind: "persistentvolumeclaim",
        datacontenttype: "text/plain; charset=utf-8",
      },
      data: utf8("Grüße"),
    };
    const message = toNatsMessage(event);
    for (const [, values] of message.headers) for (const v of values) expect(v).toMatch(/^[\x20-\x7e]*$/);
    const back = fromNatsMessage(message.headers, message.data);
    expect(back.attributes).toEqual(event.attributes);
    expect(new TextDecoder().decode(back.data)).toBe("Grüße");
  });

  it("reads headers case-insensitively and accepts ce-datacontenttype", () => {
    const h = natsHeaders();
    h.set("CE-SpecVersion", "1.0");
    h.set("Ce-Id", "x");
    h.set("ce-source", "/s");
    h.set("ce-type", "t");
    h.set("ce-datacontenttype", "application/json");
    const event = fromNatsMessage(h, utf8('{"a":1}'));
    expect(event.attributes).toMatchObject({ id: "x", source: "/s", type: "t", datacontenttype: "application/json" });
    expect(cloudEventJson(event)).toEqual({ a: 1 });
  });

  it("accepts structured mode (application/cloudevents+json)", () => {
    const h = natsHeaders();
    h.set("content-type", "application/cloudevents+json; charset=utf-8");
    const body = utf8(JSON.stringify({ specversion: "1.0", ...base, datacontenttype: "application/json", data: { k: "v" } }));
    const event = fromNatsMessage(h, body);
    expect(event.attributes.id).toBe(base.id);
    expect(cloudEventJson(event)).toEqual({ k: "v" });
  });

  it("rejects messages that are not CloudEvents or lack required attributes", () => {
    expect(() => fromNatsMessage(undefined, utf8("{}"))).toThrow(/not a CloudEvent/);
    const h = natsHeaders();
    h.set("ce-specversion", "1.0");
    h.set("ce-id", "x");
    h.set("ce-type", "t");
    expect(() => fromNatsMessage(h, new Uint8Array())).toThrow(/source/);
    h.set("ce-source", "/s");
    h.set("ce-specversion", "0.3");
    expect(() => fromNatsMessage(h, new Uint8Array())).toThrow(/specversion/);
  });
});

describe("structured mode (JSON event format)", () => {
  it("round-trips JSON data, text data and binary data", () => {
    const json = jsonCloudEvent(base, { n: 1, s: "ä" });
    expect(decodeStructured(encodeStructured(json))).toEqual(json);
    const text: CloudEvent = { attributes: { specversion: "1.0", ...base, datacontenttype: "text/plain" }, data: utf8("hello €") };
    expect(decodeStructured(encodeStructured(text))).toEqual(text);
    const bytes: CloudEvent = { attributes: { specversion: "1.0", ...base, datacontenttype: "application/octet-stream" }, data: new Uint8Array([0, 255, 1]) };
    const encoded = JSON.parse(encodeStructured(bytes));
    expect(encoded.data_base64).toBe("AP8B");
    expect(decodeStructured(JSON.stringify(encoded))).toEqual(bytes);
  });
  it("canonicalises boolean and integer extension values to strings", () => {
    const event = decodeStructured(JSON.stringify({ specversion: "1.0", ...base, flag: true, count: 3 }));
    expect(event.attributes.flag).toBe("true");
    expect(event.attributes.count).toBe("3");
  });
  it("rejects batches, bad names, bad JSON and unknown formats", () => {
    expect(() => decodeStructured("[]")).toThrow(/batches/);
    expect(() => decodeStructured(JSON.stringify({ specversion: "1.0", ...base, "Bad-Name": "x" }))).toThrow(/attribute name/);
    expect(() => decodeStructured("{not json")).toThrow(CloudEventError);
    expect(() => decodeStructured("{}", "application/cloudevents+xml")).toThrow(/unsupported event format/);
    expect(() => decodeStructured(JSON.stringify({ specversion: "1.0", ...base, time: "yesterday" }))).toThrow(/time/);
  });
});

describe("HTTP binding, binary mode", () => {
  it("builds a POST with ce- headers that the cloudevents SDK reads back", async () => {
    const event = jsonCloudEvent({ ...base, cluster: "east", resourceversion: "42" }, { metadata: { uid: "0a1b-uid" } });
    const request = toHttpRequest(event, "http://127.0.0.1/bind");
    expect(request.method).toBe("POST");
    expect(request.headers.get("ce-type")).toBe(base.type);
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    const parsed = HTTP.toEvent({ headers, body: await request.text() }) as SdkCloudEvent<{ metadata: { uid: string } }>;
    expect(parsed.id).toBe(base.id);
    expect(parsed.data).toEqual({ metadata: { uid: "0a1b-uid" } });
    expect((parsed as unknown as Record<string, unknown>).resourceversion).toBe("42");
  });
  it("reads the SDK's binary and structured output back", () => {
    const sdkEvent = new SdkCloudEvent({ ...base, data: { ok: true }, outcome: "succeeded" });
    for (const message of [HTTP.binary(sdkEvent), HTTP.structured(sdkEvent)]) {
      const headers = new Headers(message.headers as Record<string, string>);
      const event = fromHttpMessage(headers, utf8(String(message.body)));
      expect(event.attributes.id).toBe(base.id);
      expect(event.attributes.outcome).toBe("succeeded");
      expect(cloudEventJson(event)).toEqual({ ok: true });
    }
  });
});
