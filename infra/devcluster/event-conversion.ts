// events.k8s.io/v1 Events are core v1 Events seen through kube's field mapping; the store keeps the
// core shape, so an Event written through either API is visible through both.
import type { KObject } from "./resource-def.js";

const CORE_TO_V1: Array<[string, string]> = [
  ["involvedObject", "regarding"],
  ["related", "related"],
  ["message", "note"],
  ["reason", "reason"],
  ["type", "type"],
  ["action", "action"],
  ["eventTime", "eventTime"],
  ["reportingComponent", "reportingController"],
  ["reportingInstance", "reportingInstance"],
  ["series", "series"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
];

function mapFields(obj: KObject, pairs: Array<[string, string]>, apiVersion: string): KObject {
  const out: KObject = { apiVersion, kind: "Event", metadata: obj.metadata };
  for (const [from, to] of pairs) if (obj[from] !== undefined && obj[from] !== null) out[to] = obj[from];
  return out;
}

export const eventStorage = {
  key: "/events",
  fromStorage: (core: KObject): KObject => mapFields(core, CORE_TO_V1, "events.k8s.io/v1"),
  toStorage: (v1: KObject): KObject => mapFields(v1, CORE_TO_V1.map(([a, b]) => [b, a]), "v1"),
};
