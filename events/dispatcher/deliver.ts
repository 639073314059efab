// How the dispatcher reaches a function: anything that turns a Request into a Response. Over the
// network that is fetch; in-process it is a hono app's fetch — the same code path either way.
export type Deliver = ((request: Request) => Promise<Response>) & {
  /**
   * Set by appDeliver: the handler runs in this process, so the request carries no abort signal (the
   * dispatcher stops waiting on timeout all the same; nothing in-process reads the signal, and a
   * signal per request is a good part of a Request's construction cost).
   */
  readonly inProcess?: boolean;
  /**
   * In-process delivery without building a Request: the function host's own entry taking the event's
   * headers and body bytes (undefined: nothing answers at that URL, use the Request path).
   */
  readonly direct?: (url: string, headers: Array<[string, string]>, body: Uint8Array) => Promise<Response> | undefined;
};

export const httpDeliver: Deliver = (request) => fetch(request);

/** In-process delivery to anything with a WHATWG fetch handler (a hono app, the function host). */
export function appDeliver(app: { fetch: (request: Request) => Response | Promise<Response> }, direct?: Deliver["direct"]): Deliver {
  return Object.assign(async (request: Request) => app.fetch(request), { inProcess: true, ...(direct ? { direct } : {}) });
}

/** In-process delivery to a function host: its direct entry, its app for anything else. */
export function hostDeliver(host: { app: { fetch: (request: Request) => Response | Promise<Response> }; direct: NonNullable<Deliver["direct"]> }): Deliver {
  return appDeliver(host.app, (url, headers, body) => host.direct(url, headers, body));
}
