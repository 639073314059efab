// How the gateway client moves one call: over HTTP (undici-transport.ts) or through an injected
// fetch (an in-process app). The caller maps the outcome to GatewayErrors.

export interface Exchange {
  method: "GET" | "POST";
  /** Flat [name, value, ...] list. */
  headers: readonly string[];
  body?: string;
  /** Whole-call limit: connecting, sending and the full answer. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** `path` is relative to the gateway's base URL. Rejects with CallTimeout when the limit passes. */
export type Transport = (path: string, exchange: Exchange) => Promise<{ status: number; text: string }>;

export class CallTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = "CallTimeout";
  }
}

export function fetchTransport(baseUrl: string, doFetch: (input: string, init: RequestInit) => Promise<Response>): Transport {
  return async (path, ex) => {
    const timeout = AbortSignal.timeout(ex.timeoutMs);
    const signal = ex.signal ? AbortSignal.any([ex.signal, timeout]) : timeout;
    const headers: [string, string][] = [];
    for (let i = 0; i < ex.headers.length; i += 2) headers.push([ex.headers[i]!, ex.headers[i + 1]!]);
    try {
      const res = await doFetch(baseUrl + path, { method: ex.method, headers, body: ex.body, signal });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      if (timeout.aborted) throw new CallTimeout(ex.timeoutMs);
      throw err;
    }
  };
}
