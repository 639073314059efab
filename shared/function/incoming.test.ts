// readObjectEvent reads binary-mode events by hand (ce-* headers + one JSON.parse) and leaves
// structured mode and unusual events to the cloudevents SDK. Every answer must be the one the SDK
// reading gives: the same ObjectEvent, or the same status, message and partial event.
import { describe, expect, it } from "vitest";
import { readObjectEvent, RequestProblem, type ReadOptions } from "./incoming.js";

const object = { metadata: { name: "snap-1", namespace: "default", uid: "uid-1", resourceVersion: "7" }, spec: {} };
const BASE: Record<string, string> = {
  "content-type": "application/json",
  "ce-specversion": "1.0",
  "ce-id": "uid-1.7.added",
  "ce-source": "/clusters/east",
  "ce-type": "dev.snapflow.k8s.volumesnapshots.added",
  "ce-subject": "uid-1",
  "ce-cluster": "east",
  "ce-name": "snap-1",
  "ce-namespace": "default",
  "ce-resourceversion": "7",
  "ce-kind": "volumesnapshot",
  "ce-time": "2026-11-22T17:00:00.000Z",
};

function request(override: Record<string, string | undefined> = {}, body: string = JSON.stringify(object)): Request {
  const headers: Record<string, string> = { ...BASE };
  for (const [k, v] of Object.entries(override)) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  return new Request("http://function/", { method: "POST", headers, body });
}

/** The answer as comparable data: the event, or the refusal. */
async function reading(override: Record<string, string | undefined>, body?: string, options?: ReadOptions): Promise<unknown> {
  try {
    return { event: await readObjectEvent(request(override, body), undefined, options) };
  } catch (err) {
    if (!(err instanceof RequestProblem)) throw err;
    return { status: err.status, message: err.message, partial: err.partial };
  }
}

describe("readObjectEvent, binary mode by hand", () => {
  it("reads the dispatcher's event: attributes from the headers, data from one JSON.parse", async () => {
    const event = await readObjectEvent(request());
    expect(event).toEqual({
      id: "uid-1.7.added",
      type: "dev.snapflow.k8s.volumesnapshots.added",
      cluster: "east",
      resource: "volumesnapshots",
      verb: "added",
      uid: "uid-1",
      namespace: "default",
      name: "snap-1",
      resourceVersion: "7",
      data: object,
    });
  });

  it.each<[string, Record<string, string | undefined>, string | undefined, number, string]>([
    ["a required attribute missing", { "ce-type": undefined }, undefined, 400, 'invalid CloudEvent: missing required attribute "type"'],
    ["an empty required attribute", { "ce-source": "" }, undefined, 400, 'invalid CloudEvent: missing required attribute "source"'],
    ["specversion other than 1.0", { "ce-specversion": "0.3" }, undefined, 400, 'unsupported specversion "0.3": only 1.0'],
    ["a time that is no timestamp", { "ce-time": "yesterday" }, undefined, 400, 'attribute "time" is not an RFC 3339 timestamp'],
    ["a time beyond year 9999", { "ce-time": "+010000-01-01T00:00:00Z" }, undefined, 400, 'invalid CloudEvent: attribute "time" must match format "date-time"'],
    ["an empty subject", { "ce-subject": "" }, undefined, 400, 'invalid CloudEvent: attribute "subject" must NOT have fewer than 1 characters'],
    ["a source that is no URI reference", { "ce-source": "/clusters/ea st", "ce-cluster": "ea st" }, undefined, 400, 'invalid CloudEvent: attribute "source" must match format "uri-reference"'],
    ["an attribute name outside [a-z0-9]", { "ce-foo-bar": "x" }, undefined, 400, 'invalid CloudEvent: invalid attribute name: "foo-bar"'],
    ["a dataschema that is no URI", { "ce-dataschema": "not a uri" }, undefined, 400, 'invalid CloudEvent: attribute "dataschema" must match format "uri"'],
    ["schemaurl on a 1.0 event", { "ce-schemaurl": "x" }, undefined, 400, "invalid CloudEvent: cannot set schemaurl on version 1.0 event"],
    ["a type outside the contract", { "ce-type": "com.example.thing" }, undefined, 400, 'type "com.example.thing" is not dev.snapflow.k8s.<resource>.<added|modified|deleted|resynced>'],
    ["data that is not JSON", {}, "{bad", 400, "event data is not valid JSON"],
    ["data that does not look like JSON", {}, "not json", 400, "data must be the object as JSON"],
    ["no data", {}, "", 400, "data must be the object as JSON"],
    ["data that is a JSON string", {}, '"x"', 400, "data must be the object as JSON"],
    // The SDK parses the body as JSON only for these exact content types; any other JSON type leaves it text.
    ["a JSON content type the SDK does not parse", { "content-type": "application/json;charset=utf-8" }, undefined, 400, "data must be the object as JSON"],
    ["text/plain data", { "content-type": "text/plain" }, undefined, 415, 'unsupported content type "text/plain": binary-mode event data must be application/json'],
  ])("refuses %s", async (_name, override, body, status, message) => {
    const answer = (await reading(override, body)) as { status: number; message: string };
    expect(answer.status).toBe(status);
    expect(answer.message).toBe(message);
  });

  it.each<[string, Record<string, string | undefined>]>([
    ["charset=utf-8", { "content-type": "application/json; charset=utf-8" }],
    ["no time", { "ce-time": undefined }],
    ["a date without time of day (Date.parse reads it, as the SDK does)", { "ce-time": "2026-11-22" }],
    ["another extension", { "ce-foo": "x" }],
    ["a valid dataschema", { "ce-dataschema": "https://example.com/schema" }],
  ])("accepts %s", async (_name, override) => {
    expect(await reading(override)).toMatchObject({ event: { uid: "uid-1", name: "snap-1" } });
  });

  it("names what it could read in a refusal, for the audit record", async () => {
    expect(await reading({ "ce-kind": "pod" })).toEqual({
      status: 400,
      message: 'extension "kind" is "pod" but volumesnapshots are VolumeSnapshot',
      partial: { id: "uid-1.7.added", type: "dev.snapflow.k8s.volumesnapshots.added", cluster: "east", uid: "uid-1", namespace: "default", name: "snap-1" },
    });
  });

  it("answers every mutation of an event exactly as the cloudevents SDK reading does", async () => {
    const values: Record<string, Array<string | undefined>> = {
      "content-type": [undefined, "application/json; charset=utf-8", "application/json;charset=utf-8", "Application/JSON", "text/json", "application/foo+json", "text/plain"],
      "ce-specversion": [undefined, "", "0.3", "2.0"],
      "ce-id": [undefined, "", "x", "uid-1.7.modified"],
      "ce-source": [undefined, "", "/clusters/west", "/clusters/ea st", "clusters/east", "//clusters/east", "http://x/clusters/east", "/clusters/e%20ast"],
      "ce-type": [undefined, "", "dev.snapflow.k8s.pods.added", "dev.snapflow.k8s.volumesnapshotcontents.added", "com.x"],
      "ce-subject": [undefined, "", "uid-2"],
      "ce-cluster": [undefined, "", "west"],
      "ce-name": [undefined, "", "other"],
      "ce-namespace": [undefined, "", "other"],
      "ce-resourceversion": [undefined, "", "8"],
      "ce-kind": [undefined, "", "VolumeSnapshot", "pod"],
      "ce-time": [undefined, "", "yesterday", "2026-11-22", "2026-11-22T17:00:00+02:00", "+010000-01-01T00:00:00Z", "-000001-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "1"],
      "ce-foo": [undefined, "", "bar"],
      "ce-foo-bar": [undefined, "x"],
      "ce-dataschema": [undefined, "", "http://example.com/s", "not a uri"],
      "ce-schemaurl": [undefined, "x"],
      "ce-datacontenttype": [undefined, "application/json", "text/plain"],
      "ce-data": [undefined, "x"],
      datacontenttype: [undefined, "text/plain"],
    };
    const bodies = [JSON.stringify(object), "", "not json", "{bad", "[1,2]", '"str"', "|x", ` ${JSON.stringify(object)}`, "null", JSON.stringify({ ...object, metadata: { ...object.metadata, uid: "u2" } })];
    const cases: Array<[Record<string, string | undefined>, string]> = [];
    for (const body of bodies) cases.push([{}, body]);
    for (const [name, options] of Object.entries(values)) for (const value of options) cases.push([{ [name]: value }, bodies[0]!]);
    // Pairs of mutations, from a fixed pseudo-random sequence.
    let seed = 7;
    const pick = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const names = Object.keys(values);
    for (let i = 0; i < 150; i++) {
      const override: Record<string, string | undefined> = {};
      for (let j = 0; j < 2; j++) {
        const name = names[pick(names.length)]!;
        override[name] = values[name]![pick(values[name]!.length)];
      }
      cases.push([override, bodies[pick(4) === 0 ? pick(bodies.length) : 0]!]);
    }
    for (const [override, body] of cases) {
      expect({ override, body, answer: await reading(override, body) }).toEqual({ override, body, answer: await reading(override, body, { viaSdk: true }) });
    }
  });
});

describe("readObjectEvent, structured mode (the SDK)", () => {
  it("reads the attributes and data from the JSON body", async () => {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(BASE)) if (k.startsWith("ce-")) attributes[k.slice(3)] = v;
    const event = await readObjectEvent(
      new Request("http://function/", {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify({ ...attributes, datacontenttype: "application/json", data: object }),
      }),
    );
    expect(event).toMatchObject({ id: "uid-1.7.added", uid: "uid-1", name: "snap-1", data: object });
  });
});
