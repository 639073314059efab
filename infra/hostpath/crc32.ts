// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) of a buffer. The journal stamps each record with it so
// that a torn or scribbled record is told apart from a good one on load. zlib computes it natively
// (Node ≥ 20.15; the project needs ≥ 20.19).
import { crc32 as zlibCrc32 } from "node:zlib";

export function crc32(data: Uint8Array): number {
  return zlibCrc32(data);
}

/** Eight lower-case hex digits. */
export function crc32Hex(data: Uint8Array): string {
  return crc32(data).toString(16).padStart(8, "0");
}
