// Header-value encoding shared by the HTTP binding (§3.1.3.2) and the NATS binding, which reuses it:
// the value is UTF-8 encoded and every byte outside printable ASCII U+0021..U+007E, plus space, '"'
// and '%', is written as %XX. Decoding reverses it and rejects invalid UTF-8.
import { CloudEventError } from "./cloudevent.js";

const HEX = "0123456789ABCDEF";
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

function mustEncode(byte: number): boolean {
  return byte < 0x21 || byte > 0x7e || byte === 0x22 || byte === 0x25;
}

export function percentEncode(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    if (mustEncode(value.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  let out = "";
  for (const byte of encoder.encode(value)) {
    out += mustEncode(byte) ? `%${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
  }
  return out;
}

export function percentDecode(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch === 0x25) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new CloudEventError(`invalid percent-encoding in header value "${value}"`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ch > 0x7f) {
      // A raw non-ASCII character (a lenient sender): keep it, as its UTF-8 bytes.
      const char = String.fromCodePoint(value.codePointAt(i)!);
      for (const b of encoder.encode(char)) bytes.push(b);
      i += char.length - 1;
    } else {
      bytes.push(ch);
    }
  }
  try {
    return strictDecoder.decode(new Uint8Array(bytes));
  } catch {
    throw new CloudEventError(`header value "${value}" does not decode to valid UTF-8`);
  }
}
