// The JSON event format (application/cloudevents+json), used by structured content mode on both
// bindings. JSON data stays JSON; text goes as a string; anything else as data_base64.
import {
  CloudEventError,
  fromUtf8,
  isJsonContentType,
  isValidAttributeName,
  utf8,
  validateCloudEvent,
  type CloudEvent,
} from "./cloudevent.js";

export const STRUCTURED_JSON = "application/cloudevents+json";

export function isStructuredContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.trim().toLowerCase().startsWith("application/cloudevents");
}

function attributeString(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  throw new CloudEventError(`attribute "${name}" must be a string, boolean or integer`);
}

/** Parses a structured-mode body. Throws CloudEventError on anything that is not a valid event. */
export function decodeStructured(body: Uint8Array | string, contentType = STRUCTURED_JSON): CloudEvent {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  if (media !== STRUCTURED_JSON) throw new CloudEventError(`unsupported event format "${media}"`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === "string" ? body : fromUtf8(body));
  } catch (err) {
    if (err instanceof CloudEventError) throw err;
    throw new CloudEventError("structured event is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CloudEventError("structured event must be a JSON object (batches are not accepted)");
  }
  const attributes: Record<string, string> = {};
  let data: Uint8Array | undefined;
  const fields = parsed as Record<string, unknown>;
  for (const [name, value] of Object.entries(fields)) {
    if (name === "data" || name === "data_base64") continue;
    if (value === null) continue; // JSON null means "attribute absent"
    if (!isValidAttributeName(name)) throw new CloudEventError(`invalid attribute name "${name}"`);
    attributes[name] = attributeString(name, value);
  }
  if ("data" in fields && "data_base64" in fields) throw new CloudEventError("both data and data_base64 present");
  if (typeof fields.data_base64 === "string") {
    data = new Uint8Array(Buffer.from(fields.data_base64, "base64"));
  } else if (fields.data !== undefined && fields.data !== null) {
    const contentType = attributes.datacontenttype;
    if (typeof fields.data === "string" && contentType !== undefined && !isJsonContentType(contentType)) {
      data = utf8(fields.data);
    } else {
      attributes.datacontenttype ??= "application/json";
      data = utf8(JSON.stringify(fields.data));
    }
  }
  return validateCloudEvent({ attributes, data });
}

/** Serialises an event in the JSON event format. */
export function encodeStructured(event: CloudEvent): string {
  const out: Record<string, unknown> = { ...event.attributes };
  if (event.data !== undefined) {
    const contentType = event.attributes.datacontenttype;
    if (isJsonContentType(contentType) || contentType === undefined) {
      try {
        out.data = JSON.parse(fromUtf8(event.data));
      } catch {
        out.data_base64 = Buffer.from(event.data).toString("base64");
      }
    } else if (contentType.startsWith("text/")) {
      try {
        out.data = fromUtf8(event.data);
      } catch {
        out.data_base64 = Buffer.from(event.data).toString("base64");
      }
    } else {
      out.data_base64 = Buffer.from(event.data).toString("base64");
    }
  }
  return JSON.stringify(out);
}
