import type { IncomingMessage } from "node:http";
import { ApiError } from "./errors.js";

/** Reads a whole request body, failing with 413 as soon as it passes `limit` bytes (never buffering more). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new ApiError(413, "body_too_large", `Request body is ${declared} bytes; the limit is ${limit}. Fix: send a smaller body.`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new ApiError(413, "body_too_large", `Request body passed the limit of ${limit} bytes. Fix: send a smaller body.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(new ApiError(400, "body_unreadable", `Request body could not be read: ${err.message}`));
      failed = true;
    });
  });
}

/** Parses a JSON body; a syntax error becomes a 400 that says where the JSON broke. */
export function parseJsonBody(buf: Buffer, contentType: string | undefined): unknown {
  if (buf.length === 0) throw new ApiError(400, "body_missing", "Request body is empty. Fix: send a JSON object with Content-Type: application/json.", "body");
  if (contentType && !/^application\/(json|[\w.+-]+\+json)\b/i.test(contentType)) {
    throw new ApiError(415, "unsupported_media_type", `Content-Type ${contentType} is not accepted here. Fix: send JSON with Content-Type: application/json.`);
  }
  try {
    return JSON.parse(buf.toString("utf8")) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ApiError(400, "malformed_json", `Request body is not valid JSON (${detail}). Fix: send a well-formed JSON object.`, "body");
  }
}
