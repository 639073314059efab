// Bearer-token check for every route but /healthz. Both sides are hashed to a fixed length first,
// so the comparison takes the same time whatever the presented token's length or content.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../../shared/gateway/types.js";
import { errorBody } from "./errors.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

export function tokenMatches(presented: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(presented), expected);
}

export function bearerAuth(token: string): MiddlewareHandler {
  if (token.length === 0) throw new Error("gateway token must not be empty");
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match || !tokenMatches(match[1]!, expected)) {
      const reason = header === "" ? "missing Authorization: Bearer <token>" : "invalid bearer token";
      c.header("WWW-Authenticate", 'Bearer realm="snapflow-gateway"');
      return c.json(errorBody(new GatewayError("UNAUTHENTICATED", reason, false)), 401);
    }
    await next();
  };
}

/** Reads the token: a file (trimmed) wins over the SNAPFLOW_GATEWAY_TOKEN environment variable. */
export async function readGatewayToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let token: string | undefined;
  if (tokenFile) {
    token = (await readFile(tokenFile, "utf8")).trim();
    if (!token) throw new Error(`token file ${tokenFile} is empty`);
  } else {
    token = env.SNAPFLOW_GATEWAY_TOKEN?.trim();
    if (!token) throw new Error("no gateway token: pass --token-file FILE or set SNAPFLOW_GATEWAY_TOKEN");
  }
  return token;
}
