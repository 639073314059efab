// How the dispatcher reaches a function: anything that turns a Request into a Response. Over the
// network that is fetch; in-process it is a hono app's fetch — the same code path either way.
export type Deliver = ((request: Request) => Promise<Response>) & {
  /**
   * Set by appDeliver: the handler runs in this process, so the request carries no abort signal (the
   * dispatcher stops waiting on timeout all the same; nothing in-process reads the signal, and a
   * signal per request is a good part of a Request's construction cost).
   */
  readonly inProcess?: boolean;
};

export const httpDeliver: Deliver = (request) => fetch(request);

/** In-process delivery to anything with a WHATWG fetch handler (a hono app, the function host). */
export function appDeliver(app: { fetch: (request: Request) => Response | Promise<Response> }): Deliver {
  return Object.assign(async (request: Request) => app.fetch(request), { inProcess: true });
}
