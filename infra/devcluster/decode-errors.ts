// Parse errors of request bodies, worded without any of the body's text: V8 and the YAML parser
// quote the offending input, and that input may be a Secret's value.
export function describeParseError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const position = /position (\d+)/.exec(message);
  if (position) return `invalid JSON at position ${position[1]}`;
  const line = /line (\d+), column (\d+)/i.exec(message);
  if (line) return `invalid YAML at line ${line[1]}, column ${line[2]}`;
  if (/Unexpected end of JSON input/.test(message)) return "unexpected end of JSON input";
  if (/^Unexpected (token|non-whitespace|number|string)/.test(message)) return "invalid JSON: unexpected input";
  return "the body is not valid JSON or YAML";
}
