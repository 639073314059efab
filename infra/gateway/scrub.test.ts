import { describe, expect, it } from "vitest";
import { REDACTED, scrubDeep, scrubSecrets } from "./scrub.js";

describe("scrubSecrets", () => {
  const secrets = { password: 'p"a ss/word', token: "abc", longer: "abcdef" };

  it("removes values in plain, base64, JSON-escaped and URL-encoded form", () => {
    const text = [
      'plain p"a ss/word',
      `b64 ${Buffer.from('p"a ss/word').toString("base64")}`,
      `json ${JSON.stringify({ pw: 'p"a ss/word' })}`,
      `url ${encodeURIComponent('p"a ss/word')}`,
    ].join("; ");
    const out = scrubSecrets(text, secrets);
    expect(out).not.toContain("ss/word");
    expect(out).not.toContain(Buffer.from('p"a ss/word').toString("base64"));
    expect(out).not.toContain(encodeURIComponent('p"a ss/word'));
    expect(out.match(/\[REDACTED\]/g)?.length).toBe(4);
  });

  it("scrubs the longer of overlapping values whole", () => {
    expect(scrubSecrets("key=abcdef", secrets)).toBe(`key=${REDACTED}`);
  });

  it("leaves text alone when there are no secrets", () => {
    expect(scrubSecrets("nothing abc here", undefined)).toBe("nothing abc here");
  });
});

describe("scrubDeep", () => {
  it("scrubs strings at any depth, keys included, and keeps numbers and booleans", () => {
    const out = scrubDeep({ a: ["x abc y", { abc: 1, ok: true }], n: 123 }, { t: "abc" });
    expect(out).toEqual({ a: [`x ${REDACTED} y`, { [REDACTED]: 1, ok: true }], n: 123 });
  });
});
