// CloudEvents NATS protocol binding (binary mode on NATS ≥ 2.2 headers; structured accepted).
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import type { CloudEvent } from "./cloudevent.js";
import { binaryHeaders, decodeMessage } from "./binary.js";

export interface NatsMessageParts {
  headers: MsgHdrs;
  data: Uint8Array;
}

export function toNatsMessage(event: CloudEvent, extraHeaders: Array<[string, string]> = []): NatsMessageParts {
  const h = natsHeaders();
  for (const [name, value] of binaryHeaders(event)) h.set(name, value);
  for (const [name, value] of extraHeaders) h.set(name, value);
  return { headers: h, data: event.data ?? new Uint8Array() };
}

/** NATS headers as a map with lower-case names (the first value of each). */
export function natsHeaderMap(h: MsgHdrs | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!h) return map;
  // Iterating the entries (name → values) directly: keys() + get() would rescan every name per lookup.
  for (const [key, values] of h as unknown as Iterable<[string, string[]]>) {
    const lower = key.toLowerCase();
    if (!map.has(lower)) map.set(lower, values[0] ?? "");
  }
  return map;
}

export function fromNatsMessage(h: MsgHdrs | undefined, data: Uint8Array): CloudEvent {
  return decodeMessage(natsHeaderMap(h), data);
}
