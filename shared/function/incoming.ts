// Turns an HTTP request into a validated ObjectEvent, or into the 4xx answer it deserves:
// 413 when the body is too large, 415 for content types the contract does not use, 400 for anything
// that is not a valid CloudEvent 1.0 (checked by the cloudevents SDK) or breaks the snapflow event
// contract (DESIGN "Event contract").
import { HTTP, ValidationError, type CloudEventV1 } from "cloudevents";
import type { KubeObject } from "../api/meta.js";
import { RESOURCES, type ResourceName } from "../api/resources.js";
import type { HeaderSource } from "./pair-headers.js";
import { readStream } from "./read-stream.js";
import type { ObjectEvent, ObjectVerb } from "./types.js";

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** A request the framework refuses before any function code runs. */
export class RequestProblem extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
    /** Whatever could be read of the event, so the audit record can still name it. */
    readonly partial: Partial<Pick<ObjectEvent, "id" | "type" | "cluster" | "uid" | "namespace" | "name">> = {},
  ) {
    super(message);
    this.name = "RequestProblem";
  }
}

const TYPE = /^dev\.snapflow\.k8s\.([a-z0-9]+)\.(added|modified|deleted|resynced)$/;

function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

function isJson(media: string): boolean {
  return media === "application/json" || media === "text/json" || (media.startsWith("application/") && media.endsWith("+json"));
}

/** One strict decoder for every request (decode() without `stream` keeps no state between calls). */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * What the framework reads of a request: a WHATWG Request, or (in-process delivery) its headers and
 * body bytes without the Request around them.
 */
export interface EventRequest {
  readonly headers: HeaderSource;
  readonly body: ReadableStream<Uint8Array> | null;
  /** The body already in memory (then `body` is not read). */
  readonly bodyBytes?: Uint8Array;
}

/** Reads the body, refusing (413) as soon as it passes `limit` bytes. */
async function readBody(request: EventRequest, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    throw new RequestProblem(413, `body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  const bytes = request.bodyBytes ?? (await readStream(request.body, limit));
  if (bytes === "too-large" || bytes.byteLength > limit) throw new RequestProblem(413, `body exceeds the limit of ${limit} bytes`);
  if (bytes.byteLength === 0) return "";
  try {
    return utf8.decode(bytes);
  } catch {
    throw new RequestProblem(400, "body is not valid UTF-8");
  }
}

function describeValidation(err: ValidationError): string {
  const details = (err.errors ?? [])
    .map((e) => {
      if (typeof e === "string") return e;
      const missing = (e as { params?: { missingProperty?: string } }).params?.missingProperty;
      if (missing) return `missing required attribute "${missing}"`;
      const path = (e as { instancePath?: string }).instancePath?.replace(/^\//, "") ?? "";
      return `${path ? `attribute "${path}" ` : ""}${(e as { message?: string }).message ?? "is invalid"}`;
    })
    .filter(Boolean);
  return details.length > 0 ? details.join("; ") : err.message.trim();
}

/** The attributes and data of an event that passed the CloudEvents 1.0 checks. */
interface EventView {
  id: string;
  type: string;
  source: string;
  /** Every attribute by name (extensions included), as the event carries it. */
  attributes: Record<string, unknown>;
  data: unknown;
}

function str(attributes: Record<string, unknown>, name: string): string | undefined {
  const v = attributes[name];
  if (v === undefined || v === null || v === "") return undefined;
  return String(v);
}

/** Attribute names the binary fast path reads as plain strings (CloudEvents: [a-z0-9]+). */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
/** ce-* names the SDK treats specially (formats, renamed or refused attributes): left to the SDK. */
const SDK_SPECIAL = new Set(["dataschema", "schemaurl", "datacontenttype", "datacontentencoding", "data"]);
/** A source that is certainly a valid URI-reference (a path of unreserved/sub-delim characters). */
const PLAIN_SOURCE = /^\/clusters\/[a-z0-9\-._~!$&'()*+,;=:@]+$/i;
/** Content types whose body the SDK parses as JSON in binary mode (it compares them as they are). */
const SDK_JSON_TYPES = new Set(["application/json", "application/json; charset=utf-8"]);
/** Times whose ISO form has a four-digit year (what the SDK's date-time check accepts). */
const YEAR_0 = -62167219200000; // 0000-01-01T00:00:00Z
const YEAR_10000 = 253402300800000;

/**
 * Binary mode, the dispatcher's only mode, read by hand: the ce-* headers are the attributes and
 * the body is ONE JSON.parse, with exactly the checks the cloudevents SDK makes, for the events it
 * accepts. Anything unusual (attribute names the SDK treats specially, another specversion, an odd
 * source, time, subject or content type, a body the SDK would not parse as JSON) answers undefined
 * and the SDK decides, so every answer, accepted or refused and with which message, stays the SDK's.
 */
function fastBinary(attributes: Record<string, string>, contentType: string | null, body: string, special: boolean): EventView | undefined {
  if (special || attributes.specversion !== "1.0") return undefined;
  if (contentType === null || !SDK_JSON_TYPES.has(contentType)) return undefined;
  const { id, source, type, subject, time } = attributes;
  if (!id || !type || !source || !PLAIN_SOURCE.test(source)) return undefined;
  if (subject === "") return undefined;
  if (time !== undefined) {
    const ms = Date.parse(time);
    if (!(ms >= YEAR_0 && ms < YEAR_10000)) return undefined;
  }
  // The SDK's JSON parser quotes a body that does not start like JSON (and so reads a string).
  const first = body.charCodeAt(0);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */ && first !== 0x22 /* " */ && first !== 0x7c /* | */) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new RequestProblem(400, "event data is not valid JSON");
  }
  return { id, type, source, attributes, data };
}

export interface ReadOptions {
  /** Let the cloudevents SDK read binary-mode events too (tests compare both readings). */
  viaSdk?: boolean;
}

/** Parses and validates a function's incoming request. Throws RequestProblem. */
export async function readObjectEvent(request: EventRequest, maxBodyBytes = DEFAULT_MAX_BODY_BYTES, options: ReadOptions = {}): Promise<ObjectEvent> {
  const requestHeaders = request.headers;
  const contentType = requestHeaders.get("content-type") ?? null;
  const media = mediaType(contentType);
  const binary = requestHeaders.has("ce-specversion");
  if (media === "application/cloudevents-batch+json") throw new RequestProblem(415, "batched CloudEvents are not supported: send one event per request");
  const structured = media === "application/cloudevents+json";
  if (!structured) {
    if (media.startsWith("application/cloudevents")) throw new RequestProblem(415, `unsupported structured-mode format ${media}: only application/cloudevents+json`);
    if (binary && !isJson(media)) {
      throw new RequestProblem(415, `unsupported content type "${media || "(none)"}": binary-mode event data must be application/json`);
    }
    if (!binary) {
      if (media !== "" && !isJson(media)) throw new RequestProblem(415, `unsupported content type "${media}": expected a binary-mode CloudEvent (ce-* headers, application/json) or application/cloudevents+json`);
      throw new RequestProblem(400, "not a CloudEvent: no ce-specversion header and not application/cloudevents+json");
    }
  }

  const body = await readBody(request, maxBodyBytes);
  const ce: Record<string, string> = {};
  let special = false;
  for (const [key, value] of requestHeaders) {
    if (key.startsWith("ce-")) {
      const name = key.slice(3);
      ce[name] = value;
      if (!ATTRIBUTE_NAME.test(name) || SDK_SPECIAL.has(name)) special = true;
    } else if (key === "datacontenttype") special = true; // the SDK reads this header too
  }

  // The SDK fills a missing or unparseable time with "now" and cannot detect a binary event without
  // ce-id, so the raw attributes are checked first, to say precisely what is wrong.
  let raw: Record<string, unknown>;
  if (structured) {
    try {
      raw = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new RequestProblem(400, "body is not valid JSON");
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new RequestProblem(400, "structured-mode body must be a JSON object");
  } else {
    raw = ce;
  }
  for (const attribute of ["id", "source", "type"]) {
    if (raw[attribute] === undefined || raw[attribute] === "") throw new RequestProblem(400, `invalid CloudEvent: missing required attribute "${attribute}"`);
  }
  if (raw.time !== undefined && (typeof raw.time !== "string" || Number.isNaN(Date.parse(raw.time)))) {
    throw new RequestProblem(400, `attribute "time" is not an RFC 3339 timestamp`);
  }

  const event = (!structured && !options.viaSdk && fastBinary(ce, contentType, body, special)) || viaSdk(requestHeaders, body, structured);
  const attributes = event.attributes;
  const partial = partialOf(attributes);
  const bad = (message: string): never => {
    throw new RequestProblem(400, message, partial);
  };

  const m = TYPE.exec(event.type);
  if (!m) bad(`type "${event.type}" is not dev.snapflow.k8s.<resource>.<added|modified|deleted|resynced>`);
  const resource = m![1]! as ResourceName;
  const verb = m![2]! as ObjectVerb;
  if (!Object.hasOwn(RESOURCES, resource)) bad(`unknown resource "${resource}" in type "${event.type}"`);
  const resourceType = RESOURCES[resource];

  const cluster = partial.cluster ?? bad(`missing extension "cluster"`);
  if (event.source !== `/clusters/${cluster}`) bad(`source "${event.source}" does not match /clusters/${cluster} (extension "cluster")`);
  const uid = partial.uid ?? bad(`missing subject (the object UID)`);
  const name = partial.name ?? bad(`missing extension "name"`);
  const resourceVersion = str(attributes, "resourceversion") ?? bad(`missing extension "resourceversion"`);
  const kind = str(attributes, "kind") ?? bad(`missing extension "kind"`);
  if (kind.toLowerCase() !== resourceType.kind.toLowerCase()) bad(`extension "kind" is "${kind}" but ${resource} are ${resourceType.kind}`);
  const namespace = partial.namespace;
  if (resourceType.namespaced && !namespace) bad(`missing extension "namespace" (${resource} are namespaced)`);
  if (!resourceType.namespaced && namespace) bad(`extension "namespace" given for cluster-scoped ${resource}`);
  const wantId = `${uid}.${resourceVersion}.${verb}`;
  if (event.id !== wantId) bad(`id "${event.id}" is not <uid>.<resourceversion>.<verb> = "${wantId}"`);

  const data = event.data;
  if (typeof data !== "object" || data === null || Array.isArray(data) || Buffer.isBuffer(data)) bad("data must be the object as JSON");
  const object = data as KubeObject;
  if (typeof object.metadata !== "object" || object.metadata === null) bad("data has no metadata");
  if (object.metadata.name !== name) bad(`data names "${String(object.metadata.name)}" but extension "name" is "${name}"`);
  if (object.metadata.uid !== undefined && object.metadata.uid !== uid) bad(`data has uid "${object.metadata.uid}" but subject is "${uid}"`);
  if (resourceType.namespaced && object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
    bad(`data is in namespace "${object.metadata.namespace}" but extension "namespace" is "${namespace}"`);
  }

  return {
    id: event.id,
    type: event.type,
    cluster,
    resource,
    verb,
    uid,
    ...(namespace ? { namespace } : {}),
    name,
    resourceVersion,
    data: object,
  };
}

/** Whatever an event names, for the audit record of a refusal. */
function partialOf(attributes: Record<string, unknown>): RequestProblem["partial"] {
  return {
    id: str(attributes, "id"),
    type: str(attributes, "type"),
    cluster: str(attributes, "cluster"),
    uid: str(attributes, "subject"),
    namespace: str(attributes, "namespace"),
    name: str(attributes, "name"),
  };
}

/** Structured mode and unusual binary events: the cloudevents SDK parses and validates. */
function viaSdk(requestHeaders: HeaderSource, body: string, structured: boolean): EventView {
  const headers: Record<string, string> = {};
  requestHeaders.forEach((value, key) => {
    headers[key] = value;
  });
  let event: CloudEventV1<unknown>;
  try {
    const parsed = HTTP.toEvent({ headers, body });
    if (Array.isArray(parsed)) throw new RequestProblem(415, "batched CloudEvents are not supported: send one event per request");
    event = parsed;
  } catch (err) {
    if (err instanceof RequestProblem) throw err;
    if (err instanceof SyntaxError) throw new RequestProblem(400, structured ? "body is not valid JSON" : "event data is not valid JSON");
    if (err instanceof ValidationError) throw new RequestProblem(400, `invalid CloudEvent: ${describeValidation(err)}`);
    throw new RequestProblem(400, `invalid CloudEvent: ${(err as Error).message}`);
  }
  const attributes = event as unknown as Record<string, unknown>;
  // The SDK checks attribute presence and syntax; it also accepts 0.3, which the contract does not.
  try {
    (event as unknown as { validate(): boolean }).validate();
  } catch (err) {
    if (err instanceof ValidationError) throw new RequestProblem(400, `invalid CloudEvent: ${describeValidation(err)}`, partialOf(attributes));
    throw err;
  }
  if (event.specversion !== "1.0") throw new RequestProblem(400, `unsupported specversion "${event.specversion}": only 1.0`, partialOf(attributes));
  return { id: event.id, type: event.type, source: event.source, attributes, data: event.data };
}
