// Binary content mode, common to the HTTP and NATS bindings: each attribute is a `ce-<name>` header
// with a percent-encoded value, except datacontenttype, which is the `content-type` header; the
// body is the data as is. Header lookup is case-insensitive on both transports.
import { CloudEventError, validateCloudEvent, type CloudEvent } from "./cloudevent.js";
import { percentDecode, percentEncode } from "./percent.js";
import { decodeStructured, isStructuredContentType } from "./structured.js";

export const CE_PREFIX = "ce-";

/** Header name/value pairs for an event in binary mode. */
export function binaryHeaders(event: CloudEvent): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(event.attributes)) {
    if (name === "datacontenttype") out.push(["content-type", value]);
    else out.push([CE_PREFIX + name, percentEncode(value)]);
  }
  return out;
}

/**
 * Reads an event from transport headers (lower-cased names) and body, in binary or structured mode.
 * Throws CloudEventError when it is neither or when the event is invalid.
 */
export function decodeMessage(headers: ReadonlyMap<string, string>, body: Uint8Array): CloudEvent {
  const contentType = headers.get("content-type");
  if (isStructuredContentType(contentType)) return decodeStructured(body, contentType);
  const attributes: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (!name.startsWith(CE_PREFIX)) continue;
    const attribute = name.slice(CE_PREFIX.length);
    attributes[attribute] = percentDecode(value);
  }
  if (attributes.specversion === undefined) {
    throw new CloudEventError("not a CloudEvent: no ce-specversion header and no structured content type");
  }
  // The NATS binding's drafts disagree on where datacontenttype lives: accept both spellings.
  if (contentType !== undefined && contentType !== "") attributes.datacontenttype = contentType;
  return validateCloudEvent({ attributes, data: body.length > 0 ? body : undefined });
}
