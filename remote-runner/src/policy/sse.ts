/** Called when a body passes its byte cap; returns the error to throw (it names the cap). */
export type OverCap = (bytes: number) => Error;

/**
 * The chunks of a body, stopping with `overCap`'s error once more than `maxBytes` arrived: a
 * server cannot grow the runner's memory without bound. The download is cancelled on the way out.
 */
export async function* cappedChunks(body: ReadableStream<Uint8Array>, maxBytes: number, overCap: OverCap): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
      if (bytes > maxBytes) throw overCap(bytes);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** A whole body as text, capped like `cappedChunks`. */
export async function cappedText(body: ReadableStream<Uint8Array> | null, maxBytes: number, overCap: OverCap): Promise<string> {
  if (!body) return "";
  const decoder = new TextDecoder();
  const parts: string[] = [];
  for await (const c of cappedChunks(body, maxBytes, overCap)) parts.push(decoder.decode(c, { stream: true }));
  parts.push(decoder.decode());
  return parts.join("");
}

/**
 * Yields the `data:` payloads of a server-sent-events body, one per event, until `[DONE]` or the
 * end. A line is kept as its pieces until its newline comes, so each byte is handled once: a
 * long line costs linear time and no repeated copies of itself.
 */
export async function* sseData(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending: string[] = []; // the current line so far (no newline in it)
  let data: string[] = [];
  for await (const value of chunks) {
    const text = decoder.decode(value, { stream: true });
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) >= 0) {
      pending.push(text.slice(start, nl));
      const line = pending.join("").replace(/\r$/, "");
      pending = [];
      start = nl + 1;
      if (line === "") {
        if (data.length) {
          const payload = data.join("\n");
          data = [];
          if (payload === "[DONE]") return;
          yield payload;
        }
      } else if (line.startsWith("data:")) {
        data.push(line.slice(5).replace(/^ /, ""));
      }
    }
    if (start < text.length) pending.push(text.slice(start));
  }
  if (data.length && data.join("\n") !== "[DONE]") yield data.join("\n");
}
