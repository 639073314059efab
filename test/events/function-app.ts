// A real hono function app for the event-backbone tests: it validates the incoming CloudEvent like
// the function framework does (400 when malformed), answers as `behave` says, and replies with an
// audit record as a binary-mode CloudEvent — what the dispatcher must handle from any function.
import { Hono } from "hono";
import { auditEventType, type AuditOutcome } from "../../events/audit/record.js";
import { binaryHeaders, CloudEventError, fromHttpMessage, jsonCloudEvent, type CloudEvent } from "../../events/codec/index.js";

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  did?: string[];
}

export interface Received {
  event: CloudEvent;
  delivery: number;
}

export function testFunctionApp(name: string, behave: (event: CloudEvent, delivery: number) => Answer | Promise<Answer>) {
  const received: Received[] = [];
  const app = new Hono();
  app.post(`/${name}`, async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    let event: CloudEvent;
    try {
      event = fromHttpMessage(c.req.raw.headers, body);
    } catch (err) {
      if (err instanceof CloudEventError) return c.json({ error: err.message }, 400);
      throw err;
    }
    const delivery = Number(c.req.header("x-snapflow-delivery") ?? "1");
    received.push({ event, delivery });
    const answer = await behave(event, delivery);
    const outcome: AuditOutcome = answer.status < 300 ? "succeeded" : answer.status === 503 || answer.status === 409 || answer.status >= 500 ? "retried" : "failed";
    const audit = jsonCloudEvent(
      {
        id: `${event.attributes.id}.${name}.${delivery}`,
        source: `/functions/${name}`,
        type: auditEventType(name, outcome),
        subject: event.attributes.subject ?? "",
        time: new Date().toISOString(),
        cluster: event.attributes.cluster ?? "",
        ...(event.attributes.namespace ? { namespace: event.attributes.namespace } : {}),
        ...(event.attributes.name ? { name: event.attributes.name } : {}),
      },
      { function: name, outcome, did: answer.did ?? [], httpStatus: answer.status },
    );
    const headers = new Headers(answer.headers);
    for (const [k, v] of binaryHeaders(audit)) headers.set(k, v);
    return new Response(audit.data, { status: answer.status, headers });
  });
  return { app, received };
}
