// The CloudEvent as the bindings move it: every context attribute as its canonical string form
// (CloudEvents 1.0 "type system" → string), and the data as raw bytes. Keeping data as bytes lets the
// dispatcher forward an event from NATS to HTTP without re-serialising it.

export interface CloudEvent {
  /** specversion, id, source, type and any optional or extension attribute, by lower-case name. */
  attributes: Record<string, string>;
  data?: Uint8Array;
}

export const REQUIRED_ATTRIBUTES = ["specversion", "id", "source", "type"] as const;
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** A message that is not a valid CloudEvent (the HTTP answer for it is a 4xx; on the bus, a dead letter). */
export class CloudEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CloudEventError";
  }
}

export function isValidAttributeName(name: string): boolean {
  return ATTRIBUTE_NAME.test(name);
}

/** Throws CloudEventError unless the event satisfies CloudEvents 1.0's required-attribute rules. */
export function validateCloudEvent(event: CloudEvent): CloudEvent {
  for (const name of Object.keys(event.attributes)) {
    if (!isValidAttributeName(name)) throw new CloudEventError(`invalid attribute name "${name}" (only a-z and 0-9 allowed)`);
  }
  for (const name of REQUIRED_ATTRIBUTES) {
    const value = event.attributes[name];
    if (value === undefined || value === "") throw new CloudEventError(`missing required attribute "${name}"`);
  }
  if (event.attributes.specversion !== "1.0") {
    throw new CloudEventError(`unsupported specversion "${event.attributes.specversion}" (only 1.0)`);
  }
  const time = event.attributes.time;
  if (time !== undefined && Number.isNaN(Date.parse(time))) throw new CloudEventError(`attribute "time" is not an RFC 3339 timestamp`);
  return event;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CloudEventError("data is not valid UTF-8");
  }
}

/** True for application/json, text/json and any +json structured-syntax suffix. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || media === "text/json" || media.endsWith("+json");
}

/** A JSON CloudEvent: attributes plus `data` serialised as application/json. */
export function jsonCloudEvent(attributes: Record<string, string>, data: unknown): CloudEvent {
  return {
    attributes: { specversion: "1.0", datacontenttype: "application/json", ...attributes },
    data: data === undefined ? undefined : utf8(JSON.stringify(data)),
  };
}

/** The event's data parsed as JSON (undefined without data). */
export function cloudEventJson<T = unknown>(event: CloudEvent): T | undefined {
  if (event.data === undefined || event.data.length === 0) return undefined;
  try {
    return JSON.parse(fromUtf8(event.data)) as T;
  } catch (err) {
    if (err instanceof CloudEventError) throw err;
    throw new CloudEventError("data is not valid JSON");
  }
}
