// String formats kube-apiserver checks for custom resources (the kube-openapi strfmt registry, minus
// the formats kube strips). An unknown format is not an error: kube ignores it too.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const MAC = /^([0-9a-fA-F]{2}[:-]){5}([0-9a-fA-F]{2})$|^([0-9a-fA-F]{4}\.){2}([0-9a-fA-F]{4})$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const DURATION = /^(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$/;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= daysInMonth;
}

/** RFC 3339 date-time as strfmt's IsDateTime accepts it ("T" or "t", "Z" or an offset). */
export function isDateTime(s: string): boolean {
  const lower = s.toLowerCase();
  const t = lower.indexOf("t");
  if (t < 0 || !isDate(lower.slice(0, t))) return false;
  const m = TIME.exec(lower.slice(t + 1));
  if (!m) return false;
  return Number(m[1]) < 24 && Number(m[2]) < 60 && Number(m[3]) < 60;
}

function isIPv6(s: string): boolean {
  if (!s.includes(":")) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

function isCidr(s: string): boolean {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (IPV4.test(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && Number(bits) <= 128;
}

function isUri(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

const CHECKS: Record<string, (s: string) => boolean> = {
  "date-time": isDateTime,
  datetime: isDateTime,
  date: isDate,
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID3.test(s),
  uuid4: (s) => UUID4.test(s),
  uuid5: (s) => UUID5.test(s),
  byte: (s) => BASE64.test(s),
  ipv4: (s) => IPV4.test(s),
  ipv6: isIPv6,
  cidr: isCidr,
  hostname: (s) => HOSTNAME.test(s),
  mac: (s) => MAC.test(s),
  email: (s) => EMAIL.test(s),
  uri: isUri,
  duration: (s) => DURATION.test(s),
};

/** The checker for a format kube validates, or undefined for formats it ignores. */
export function formatChecker(format: string): ((s: string) => boolean) | undefined {
  return CHECKS[format];
}
