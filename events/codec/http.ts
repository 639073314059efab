// CloudEvents over HTTP: the binary-mode request the dispatcher sends, and reading an event (a
// function's reply) back from headers and body, binary or structured.
import type { HeaderSource } from "../../shared/function/pair-headers.js";
import type { CloudEvent } from "./cloudevent.js";
import { binaryHeaders, decodeMessage } from "./binary.js";

export function toHttpRequest(event: CloudEvent, url: string, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Request {
  const headers = new Headers(init.headers);
  for (const [name, value] of binaryHeaders(event)) headers.set(name, value);
  return new Request(url, {
    method: "POST",
    headers,
    body: event.data && event.data.length > 0 ? event.data : null,
    signal: init.signal,
  });
}

export function httpHeaderMap(headers: HeaderSource): Map<string, string> {
  const map = new Map<string, string>();
  headers.forEach((value, name) => map.set(name.toLowerCase(), value));
  return map;
}

/** Reads a CloudEvent from an HTTP message; throws CloudEventError when it carries none. */
export function fromHttpMessage(headers: HeaderSource, body: Uint8Array): CloudEvent {
  return decodeMessage(httpHeaderMap(headers), body);
}

/** True when the message carries a CloudEvent at all (binary or structured). */
export function hasCloudEvent(headers: HeaderSource): boolean {
  return headers.has("ce-specversion") || (headers.get("content-type") ?? "").toLowerCase().startsWith("application/cloudevents");
}
