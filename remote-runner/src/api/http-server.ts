import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { readBody, parseJsonBody } from "./body.js";
import { ApiError, sendError, sendJson } from "./errors.js";
import type { EventStream } from "./event-stream.js";
import { parseQuery } from "./query.js";
import { RawBody, Reply, Router, type Route } from "./router.js";
import { bearerFrom, tokenMatches } from "./token.js";
import { validate } from "./validate.js";

export interface HttpServerOptions {
  host: string;
  port: number;
  token: string;
  routes: Route[];
  stream: EventStream;
  tls?: { certFile: string; keyFile: string };
  /** Largest JSON body accepted (bundles have their own limit). */
  maxJsonBytes?: number;
  log?: (line: string) => void;
}

export interface RunningHttpServer {
  server: http.Server | https.Server;
  url: string;
  wsUrl: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith("127.");
}

/**
 * The runner's HTTP + WebSocket front: routing, bearer auth, body limits and validation, error
 * answers. Deliberately sends no CORS headers, so a web page in a browser cannot read the API even
 * if it guesses the address. The token is compared in constant time and never written to the log.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const log = opts.log ?? (() => {});
  const router = new Router(opts.routes);
  const maxJson = opts.maxJsonBytes ?? 1024 * 1024;
  const authorized = (req: http.IncomingMessage): boolean => {
    const presented = bearerFrom(req.headers.authorization);
    return presented !== null && tokenMatches(presented, opts.token);
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = Date.now();
    handle(req, res)
      .catch((err: unknown) => {
        if (err instanceof ApiError) {
          sendError(res, err);
        } else {
          log(`error in ${req.method} ${safePath(req.url)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          sendError(res, new ApiError(500, "internal", "The runner failed on this request; its log has the details."));
        }
        // A body we stopped reading would otherwise keep the connection busy.
        if (!req.complete) req.resume();
      })
      .finally(() => {
        log(`${req.method} ${safePath(req.url)} ${res.statusCode} ${Date.now() - started}ms`);
      });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://runner");
    } catch {
      throw new ApiError(400, "bad_path", "Request path is not a valid URL path.");
    }
    const found = router.match(req.method ?? "GET", url.pathname);
    if (found === null) throw new ApiError(404, "not_found", `No route ${req.method} ${url.pathname}. The API is described at /v1/openapi.json.`);
    if (found === "method") throw new ApiError(405, "method_not_allowed", `${req.method} is not allowed on ${url.pathname}.`);
    const { route, params } = found;
    if (route.auth && !authorized(req)) {
      throw new ApiError(401, "unauthorized", "Missing or wrong bearer token. Fix: send `Authorization: Bearer TOKEN` (the token is in $AGENTRL_HOME/token on the runner, or AGENTRL_TOKEN).");
    }
    const query = parseQuery(route.query, url.searchParams);
    let body: unknown = undefined;
    if (route.body && route.body !== "gzip") {
      const raw = await readBody(req, maxJson);
      body = validate(route.body, parseJsonBody(raw, req.headers["content-type"]), "body");
    } else if (route.body === "gzip") {
      const ct = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
      if (ct !== "application/gzip" && ct !== "application/x-gzip" && ct !== "application/octet-stream") {
        throw new ApiError(415, "unsupported_media_type", `Content-Type must be application/gzip (a tar.gz of the environment folder), got ${ct || "none"}.`);
      }
    } else if (req.method === "POST" || req.method === "PUT") {
      req.resume(); // routes without a body ignore whatever was sent
    }
    const result = await route.handler({ req, res, url, params, query, body });
    if (res.headersSent || res.destroyed) return;
    if (result instanceof RawBody) {
      const data = typeof result.data === "string" ? Buffer.from(result.data) : result.data;
      res.writeHead(route.status ?? 200, { "Content-Type": result.contentType, "Content-Length": data.length, "X-Content-Type-Options": "nosniff", ...result.headers });
      res.end(data);
      return;
    }
    if (result instanceof Reply) sendJson(res, result.status, result.body);
    else sendJson(res, route.status ?? 200, result);
  };

  const server = opts.tls
    ? https.createServer({ cert: fs.readFileSync(opts.tls.certFile), key: fs.readFileSync(opts.tls.keyFile), maxHeaderSize: 16 * 1024 }, onRequest)
    : http.createServer({ maxHeaderSize: 16 * 1024 }, onRequest);
  server.headersTimeout = 10_000;
  server.requestTimeout = 5 * 60_000; // bundle uploads may be large
  server.keepAliveTimeout = 5_000;
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string, message: string): void => {
      const body = JSON.stringify({ error: { code: status.split(" ")[0], message } });
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    socket.on("error", () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://runner");
    } catch {
      return refuse("400 Bad Request", "bad path");
    }
    if (url.pathname !== "/v1/events") return refuse("404 Not Found", `no WebSocket endpoint at ${url.pathname}; use /v1/events`);
    if (!authorized(req)) return refuse("401 Unauthorized", "missing or wrong bearer token");
    const afterRaw = url.searchParams.get("after");
    let after: number | undefined;
    if (afterRaw !== null) {
      after = Number(afterRaw);
      if (!Number.isInteger(after) || after < 0) return refuse("400 Bad Request", "after must be a non-negative integer (the last seq you have; 0 for everything)");
    }
    const runId = url.searchParams.get("runId") ?? undefined;
    if (!opts.stream.hasRoom()) return refuse("503 Service Unavailable", "too many event stream clients; try again later");
    wss.handleUpgrade(req, socket, head, (ws) => {
      opts.stream.attach(ws, { ...(after !== undefined ? { after } : {}), ...(runId !== undefined ? { runId } : {}) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const scheme = opts.tls ? "https" : "http";
  return {
    server,
    port,
    url: `${scheme}://${hostForUrl}:${port}`,
    wsUrl: `${opts.tls ? "wss" : "ws"}://${hostForUrl}:${port}/v1/events`,
    close: () =>
      new Promise<void>((resolve) => {
        opts.stream.close();
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The path without the query string, for logs (queries may carry search text). */
function safePath(url: string | undefined): string {
  return (url ?? "/").split("?")[0]?.slice(0, 200) ?? "/";
}

