// The gateway's HTTP surface (hono): auth, body limit, per-driver dispatch of the operation
// table, secret resolution and scrubbing, metrics and one structured log line per call.
import { Hono, type Context } from "hono";
import type { Logger } from "pino";
import { GATEWAY_UID_HEADER } from "../../shared/gateway/client.js";
import { GatewayError } from "../../shared/gateway/types.js";
import { bearerAuth } from "./auth.js";
import { gatewayBodyLimit } from "./body-limit.js";
import type { Backend, Secrets } from "./backend.js";
import { asGatewayError, errorBody, httpStatusFor } from "./errors.js";
import type { GatewayMetrics } from "./metrics.js";
import { OPERATIONS, type Operation } from "./operations.js";
import { scrubDeep, scrubSecrets } from "./scrub.js";
import type { SecretResolver } from "./secrets.js";

export const UID_HEADER = GATEWAY_UID_HEADER;

export interface GatewayAppOptions {
  /** Backend per CSI driver name. */
  backends: ReadonlyMap<string, Backend>;
  token: string;
  secrets: SecretResolver;
  logger: Logger;
  metrics: GatewayMetrics;
  maxBodyBytes: number;
}

const UID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function createGatewayApp(opts: GatewayAppOptions): Hono {
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.use("*", bearerAuth(opts.token));
  app.use(
    "*",
    gatewayBodyLimit({
      maxSize: opts.maxBodyBytes,
      onError: (c) =>
        c.json(errorBody(new GatewayError("INVALID_ARGUMENT", `body: larger than ${opts.maxBodyBytes} bytes`, false)), 413),
    }),
  );

  app.get("/metrics", async (c) => {
    c.header("Content-Type", opts.metrics.registry.contentType);
    return c.body(await opts.metrics.registry.metrics());
  });

  app.get("/v1/drivers", (c) =>
    c.json({ drivers: [...opts.backends].map(([name, backend]) => ({ name, backend: backend.kind })) }),
  );

  for (const operation of OPERATIONS) {
    const path = `/v1/drivers/:driver${operation.path}`;
    const handler = (c: Context) => handle(c, operation, opts);
    if (operation.method === "GET") app.get(path, handler);
    else app.post(path, handler);
  }

  app.notFound((c) =>
    c.json(errorBody(new GatewayError("UNIMPLEMENTED", `no route ${c.req.method} ${c.req.path}`, false)), 404),
  );
  app.onError((err, c) => {
    opts.logger.error({ err: { message: err.message } }, "unhandled gateway error");
    return c.json(errorBody(new GatewayError("INTERNAL", "gateway internal error", true, "gateway")), 500);
  });
  return app;
}

async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError("INVALID_ARGUMENT", "body: not valid JSON", false);
  }
}

async function handle(c: Context, operation: Operation, opts: GatewayAppOptions): Promise<Response> {
  const started = process.hrtime.bigint();
  const driver = c.req.param("driver") ?? "";
  const uidHeader = c.req.header(UID_HEADER);
  const uid = uidHeader !== undefined && UID_PATTERN.test(uidHeader) ? uidHeader : undefined;
  const backend = opts.backends.get(driver);
  let secrets: Secrets | undefined;
  let target: string | undefined;
  let code = "OK";
  let message: string | undefined;
  try {
    if (uidHeader !== undefined && uid === undefined) {
      throw new GatewayError("INVALID_ARGUMENT", `header ${UID_HEADER}: must be 1-128 characters of letters, digits, ".", "_", ":", "-"`, false);
    }
    if (!backend) {
      throw new GatewayError("NOT_FOUND", `unknown driver "${driver}" (configured: ${[...opts.backends.keys()].join(", ") || "none"})`, false, "gateway");
    }
    const call = operation.prepare(operation.method === "GET" ? undefined : await readJson(c));
    target = call.target;
    if (call.secretRef) {
      const ref = call.secretRef;
      secrets = await opts.secrets.resolve(ref).catch((err: unknown) => {
        const e = asGatewayError(err);
        throw new GatewayError(e.code, e.message, e.retryable, "secret");
      });
    }
    const result = await call.run(backend, secrets);
    if (operation.noContent) return c.body(null, 204);
    return c.json(scrubDeep(result, secrets) as object, 200);
  } catch (thrown) {
    const err = asGatewayError(thrown);
    code = err.code;
    const safe = new GatewayError(err.code, scrubSecrets(err.message, secrets), err.retryable, err.origin);
    message = safe.message;
    return c.json(errorBody(safe), httpStatusFor(safe.code));
  } finally {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // Only configured drivers become metric labels, so a client cannot grow the label set.
    if (backend) opts.metrics.observe(driver, operation.name, code, seconds);
    const line = {
      uid,
      driver,
      operation: operation.name,
      target: target === undefined ? undefined : scrubSecrets(target, secrets),
      code,
      message,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    };
    if (code === "OK") opts.logger.info(line, "gateway call");
    else opts.logger.warn(line, "gateway call failed");
  }
}
