// What the KubeClient needs from a connection pool: one request, its status and parsed body.
// Two implementations: undici (the default; least CPU per call) and node:http (behind a proxy agent).

export interface Reply {
  status: number;
  body: unknown;
}

export interface KubeTransport {
  /**
   * `headers` is a flat [name, value, ...] list sent as is. Rejects with `timed out after N ms`
   * when the server stalls, and with an error carrying `staleSocket: true` when a reused
   * keep-alive connection turned out to be closed before any of the answer arrived (safe to retry).
   */
  send(method: string, path: string, headers: readonly string[], payload?: string): Promise<Reply>;
  /** Drops every connection, in flight or idle. */
  close(): void;
}

export function timedOut(timeoutMs: number, cause?: unknown): Error {
  return new Error(`timed out after ${timeoutMs} ms`, cause === undefined ? undefined : { cause });
}

/** The body as JSON when it parses, else as text (a proxy's error page, say) for the error message. */
export function parseBody(chunks: readonly Buffer[]): unknown {
  const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
  if (text.length === 0) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
