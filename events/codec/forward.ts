// Forwarding a binary-mode CloudEvent from HTTP to NATS without building the event in between: the
// dispatcher's path for a function's audit reply. The result is what
// toNatsMessage(fromHttpMessage(headers, body)) gives — the same headers, values, data and the same
// CloudEventError for an invalid event — at a fraction of the cost: header values already in their
// canonical percent-encoded form (the usual case) are copied as they are, and only id and type are
// decoded (the dispatcher needs them). Structured mode goes the long way.
import type { HeaderSource } from "../../shared/function/pair-headers.js";
import { MsgHdrsImpl } from "@nats-io/transport-node";
import { CloudEventError, isValidAttributeName, type CloudEvent } from "./cloudevent.js";
import { CE_PREFIX } from "./binary.js";
import { fromHttpMessage } from "./http.js";
import { toNatsMessage, type NatsMessageParts } from "./nats.js";
import { percentDecode, percentEncode } from "./percent.js";
import { isStructuredContentType } from "./structured.js";

export interface ForwardedEvent extends NatsMessageParts {
  /** The event's id and type attributes (decoded). */
  id: string;
  type: string;
  /** The event, only when it had to be built (structured mode). */
  event?: CloudEvent;
}

/** True when percentEncode(percentDecode(value)) === value: printable ASCII without space, '"' or '%'. */
function canonical(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x25) return false;
  }
  return true;
}

/**
 * Reads the CloudEvent an HTTP message carries and returns it as NATS message parts (binary mode).
 * Throws CloudEventError when the message carries no valid CloudEvent.
 */
export function forwardHttpToNats(headers: HeaderSource, body: Uint8Array): ForwardedEvent {
  const contentType = headers.get("content-type") ?? undefined;
  if (isStructuredContentType(contentType)) {
    const event = fromHttpMessage(headers, body);
    return { ...toNatsMessage(event), id: event.attributes.id!, type: event.attributes.type!, event };
  }
  // Written straight into the header map: each name occurs once, and HTTP names and these values are
  // valid NATS header names and values as they are (append() would re-check and rescan every name).
  const out = new MsgHdrsImpl();
  let specversion: string | undefined;
  let id: string | undefined;
  let type: string | undefined;
  let source: string | undefined;
  let time: string | undefined;
  let ceContentType: string | undefined;
  let badName: string | undefined;
  // Headers iterate with lower-case names, each name once.
  for (const [name, raw] of headers) {
    if (!name.startsWith(CE_PREFIX)) continue;
    const attribute = name.slice(CE_PREFIX.length);
    let value = raw;
    let decoded: string;
    if (canonical(raw)) {
      decoded = raw;
    } else {
      decoded = percentDecode(raw);
      value = percentEncode(decoded);
    }
    switch (attribute) {
      case "specversion":
        specversion = decoded;
        break;
      case "id":
        id = decoded;
        break;
      case "type":
        type = decoded;
        break;
      case "source":
        source = decoded;
        break;
      case "time":
        time = decoded;
        break;
      case "datacontenttype":
        // Like decodeMessage + binaryHeaders: it travels as content-type (the header wins).
        ceContentType = decoded;
        continue;
    }
    if (!isValidAttributeName(attribute)) badName ??= attribute;
    else out.headers.set(name, [value]);
  }
  // The checks and messages of decodeMessage + validateCloudEvent, in their order.
  if (specversion === undefined) throw new CloudEventError("not a CloudEvent: no ce-specversion header and no structured content type");
  if (badName !== undefined) throw new CloudEventError(`invalid attribute name "${badName}" (only a-z and 0-9 allowed)`);
  if (!specversion) throw new CloudEventError(`missing required attribute "specversion"`);
  if (!id) throw new CloudEventError(`missing required attribute "id"`);
  if (!source) throw new CloudEventError(`missing required attribute "source"`);
  if (!type) throw new CloudEventError(`missing required attribute "type"`);
  if (specversion !== "1.0") throw new CloudEventError(`unsupported specversion "${specversion}" (only 1.0)`);
  if (time !== undefined && Number.isNaN(Date.parse(time))) throw new CloudEventError(`attribute "time" is not an RFC 3339 timestamp`);
  const dataContentType = contentType !== undefined && contentType !== "" ? contentType : ceContentType;
  if (dataContentType !== undefined) out.append("content-type", dataContentType);
  return { headers: out, data: body, id, type };
}
