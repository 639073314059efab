// How the dispatcher reaches a function: anything that turns a Request into a Response. Over the
// network that is fetch; in-process it is a hono app's fetch — the same code path either way.
export type Deliver = (request: Request) => Promise<Response>;

export const httpDeliver: Deliver = (request) => fetch(request);

/** In-process delivery to anything with a WHATWG fetch handler (a hono app, the function host). */
export function appDeliver(app: { fetch: (request: Request) => Response | Promise<Response> }): Deliver {
  return async (request) => app.fetch(request);
}
