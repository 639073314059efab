import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, levelFromEnv, redactText, REDACTED, sanitize } from "./log.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe("sanitize", () => {
  it("redacts secret-like keys at any depth", () => {
    const out = sanitize({
      req: { headers: { Authorization: "Bearer abc", "content-type": "application/json" } },
      gateway: { token: "t0k", nested: [{ password: "pw", ok: 1 }] },
      secrets: { user: "admin", pass: "x" },
      "api-key": "k",
      secret_access_key: "s",
    }) as Record<string, any>;
    expect(out.req.headers.Authorization).toBe(REDACTED);
    expect(out.req.headers["content-type"]).toBe("application/json");
    expect(out.gateway.token).toBe(REDACTED);
    expect(out.gateway.nested[0]).toEqual({ password: REDACTED, ok: 1 });
    expect(out.secrets).toBe(REDACTED);
    expect(out["api-key"]).toBe(REDACTED);
    expect(out.secret_access_key).toBe(REDACTED);
  });

  it("redacts data and stringData of Secret objects only", () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "creds" }, data: { k: "c2VjcmV0" }, stringData: { k: "secret" } };
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { k: "visible" } };
    expect(sanitize({ object: secret })).toEqual({ object: { ...secret, data: REDACTED, stringData: REDACTED } });
    expect(sanitize({ object: configMap })).toEqual({ object: configMap });
    expect(sanitize({ list: [secret] })).toEqual({ list: [{ ...secret, data: REDACTED, stringData: REDACTED }] });
  });

  it("keeps errors readable and cuts cycles", () => {
    const err = Object.assign(new Error("call failed with token=abc123"), { code: 7 });
    const out = sanitize({ err }) as Record<string, any>;
    expect(out.err.message).toBe(`call failed with token=${REDACTED}`);
    expect(out.err.code).toBe(7);
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    expect(sanitize(loop)).toEqual({ a: 1, self: "[Circular]" });
  });
});

describe("redactText", () => {
  it.each([
    ["Authorization: Bearer eyJhbGciOi.abc.def", `Authorization: Bearer ${REDACTED}`],
    ["url?token=abc&x=1", `url?token=${REDACTED}&x=1`],
    ['{"password": "hunter2"}', `{"password": "${REDACTED}"}`],
    ["key AKIAABCDEFGHIJKLMNOP used", `key ${REDACTED} used`],
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", REDACTED],
    ["Basic dXNlcjpwYXNz", `Basic ${REDACTED}`],
    ["passwd=hunter2", `passwd=${REDACTED}`],
    ["api-key: k123", `api-key: ${REDACTED}`],
    ["access_key=AK1 secret_access_key=SK1", `access_key=${REDACTED} secret_access_key=${REDACTED}`],
    ["session-token=st1", `session-token=${REDACTED}`],
    ["temp ASIAABCDEFGHIJKLMNOP", `temp ${REDACTED}`],
    ["snapshot snap-1 created", "snapshot snap-1 created"],
  ])("%s", (input, want) => {
    expect(redactText(input)).toBe(want);
  });
});

describe("createLogger", () => {
  it("writes JSON lines with level labels, name and redaction", async () => {
    const { lines, stream } = capture();
    const log = createLogger({ name: "bind", level: "debug", destination: stream });
    log.debug({ secrets: { a: "b" }, uid: "u1" }, "resolved with password=p4ss");
    log.info({ headers: { authorization: "Basic Zm9vOmJhcg==" } }, "plain");
    log.flush();
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "debug", name: "bind", uid: "u1", secrets: REDACTED, msg: `resolved with password=${REDACTED}` });
    expect(lines[1]).toMatchObject({ level: "info", headers: { authorization: REDACTED }, msg: "plain" });
    expect(JSON.stringify(lines)).not.toMatch(/p4ss|Zm9vOmJhcg|"b"/);
  });

  it("takes the level from the environment", () => {
    expect(levelFromEnv({ SNAPFLOW_LOG_LEVEL: "warn" })).toBe("warn");
    expect(levelFromEnv({ LOG_LEVEL: "DEBUG" })).toBe("debug");
    expect(levelFromEnv({ SNAPFLOW_LOG_LEVEL: "loud" })).toBe("info");
    expect(levelFromEnv({})).toBe("info");
  });
});
