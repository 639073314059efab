// A body stream read to the end by hand (about half the cost of arrayBuffer() for the usual one-chunk
// body), stopping as soon as it passes a byte limit. Used for function requests and their replies.

/** The whole stream's bytes, or "too-large" (the stream cancelled) once it passes `limit` bytes. */
export async function readStream(stream: ReadableStream<Uint8Array> | null, limit = Infinity): Promise<Uint8Array | "too-large"> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  let first: Uint8Array | undefined;
  let chunks: Uint8Array[] | undefined;
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBufferLike);
    size += chunk.byteLength;
    if (size > limit) {
      await reader.cancel();
      return "too-large";
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  }
  if (first === undefined) return new Uint8Array(0);
  return chunks ? new Uint8Array(Buffer.concat(chunks, size)) : first;
}
