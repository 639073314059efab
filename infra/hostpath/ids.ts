// Names and ids as the CSI spec bounds them, and the only way ids become paths.
//
// Names (CreateVolume/CreateSnapshot/CreateVolumeGroupSnapshot `name`) are caller-chosen idempotency
// keys: any Unicode up to 128 bytes without control characters. They are never used in a path.
// Ids are driver-generated (`vol-<uuid>`, `snap-<uuid>`, `group-<uuid>`). Anything a caller sends as
// an id is first checked for shape: a string that could not be a path component of ours (a slash,
// NUL, `..`, over 128 bytes, odd characters) is INVALID_ARGUMENT where the id must name something;
// a well-formed string we never issued is simply unknown (NOT_FOUND). Deletes only need an id to be
// present: whatever we never issued names nothing, and the spec answers the delete of what does not
// exist with OK (a pre-provisioned content with a mistyped handle would otherwise never go).
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { internal, invalidArgument } from "./errors.js";

export const MAX_FIELD_BYTES = 128;

export type IdKind = "volume" | "snapshot" | "group";

const PREFIX: Record<IdKind, string> = { volume: "vol", snapshot: "snap", group: "group" };
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const ISSUED: Record<IdKind, RegExp> = {
  volume: new RegExp(`^vol-${UUID}$`),
  snapshot: new RegExp(`^snap-${UUID}$`),
  group: new RegExp(`^group-${UUID}$`),
};

/** Printable ASCII that is safe as one path component; must start alphanumeric (so no "." / ".."). */
const WELL_FORMED_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

// Spec: names may hold any Unicode except these control characters.
const FORBIDDEN_NAME_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export function newId(kind: IdKind): string {
  return `${PREFIX[kind]}-${randomUUID()}`;
}

export function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/** A required name: present, ≤128 bytes, no control characters. */
export function checkName(field: string, value: string): void {
  if (!value) throw invalidArgument(`${field} is required`);
  if (byteLength(value) > MAX_FIELD_BYTES) throw invalidArgument(`${field} is longer than ${MAX_FIELD_BYTES} bytes`);
  if (FORBIDDEN_NAME_CHARS.test(value)) throw invalidArgument(`${field} contains a control character`);
}

/** A required id for a delete: present. Anything but an id we issued names nothing (see above). */
export function checkIdPresent(field: string, value: string): void {
  if (!value) throw invalidArgument(`${field} is required`);
}

/** A required id: present and well formed. Whether it exists is for the caller to decide. */
export function checkId(field: string, value: string): void {
  if (!value) throw invalidArgument(`${field} is required`);
  checkIdShape(field, value);
}

/** An optional id (e.g. a list filter): "" passes, anything else must be well formed. */
export function checkIdShape(field: string, value: string): void {
  if (byteLength(value) > MAX_FIELD_BYTES) throw invalidArgument(`${field} is longer than ${MAX_FIELD_BYTES} bytes`);
  if (!WELL_FORMED_ID.test(value)) throw invalidArgument(`${field} ${JSON.stringify(value)} is not a valid id`);
}

/** True if this driver could have issued the id (a well-formed id that is not ours is unknown). */
export function isIssuedId(kind: IdKind, value: string): boolean {
  return ISSUED[kind].test(value);
}

/**
 * The directory for an id under `root`. Refuses anything but an id this driver issues, and checks
 * the joined path stays inside root, so no caller input can ever name a path outside the data dir.
 */
export function dirFor(root: string, kind: IdKind, id: string): string {
  if (!isIssuedId(kind, id)) throw internal(`refusing to build a path from ${kind} id ${JSON.stringify(id)}`);
  const dir = path.join(root, id);
  if (path.dirname(dir) !== root) throw internal(`path for ${kind} id escapes its root`);
  return dir;
}
