import type { ServerResponse } from "node:http";

/** An error the API answers with: HTTP status, a stable machine code, and a message that names the problem and the fix. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** Writes a JSON response. No CORS headers, on purpose: browsers from other origins must not read the API. */
export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...extraHeaders,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const body: { error: { code: string; message: string; field?: string } } = { error: { code: err.code, message: err.message } };
  if (err.field !== undefined) body.error.field = err.field;
  const headers: Record<string, string> = {};
  if (err.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="agentrl"';
  sendJson(res, err.status, body, headers);
}
