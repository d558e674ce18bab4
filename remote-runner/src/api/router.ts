import type { IncomingMessage, ServerResponse } from "node:http";
import type { TSchema } from "@agentrl/protocol";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path parameters, e.g. `{ id }` for `/v1/runs/{id}`. */
  params: Record<string, string>;
  /** The query, coerced and validated against the route's `query` schema. */
  query: Record<string, unknown>;
  /** The JSON body validated against the route's `body` schema (undefined for other bodies). */
  body: unknown;
}

/** A non-JSON answer (blobs, exports). */
export class RawBody {
  constructor(
    readonly data: Buffer | string,
    readonly contentType: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** A JSON answer with a status other than the route's usual one (e.g. 200 instead of 201 for a repeat upload). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export interface Route {
  method: HttpMethod;
  /** OpenAPI-style template: `/v1/runs/{id}`. */
  path: string;
  summary: string;
  tag: string;
  /** False only for health and the OpenAPI document. */
  auth: boolean;
  query?: TSchema;
  /** A JSON body schema, or "gzip" for a streamed tar.gz the handler reads itself. */
  body?: TSchema | "gzip";
  /** JSON schema of the 2xx answer, or a content type for raw answers. */
  response: TSchema | { contentType: string };
  status?: number;
  /** Error statuses this route can answer besides 401/400/500, for the OpenAPI document. */
  errors?: number[];
  handler(ctx: RequestContext): Promise<unknown> | unknown;
}

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

/** Matches method + path against the route table; path parameters never match `/`. */
export class Router {
  private readonly compiled: Compiled[];
  constructor(readonly routes: Route[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const pattern = route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
      return { route, re: new RegExp(`^${pattern}$`), names };
    });
  }

  /** The route for a request, `"method"` when the path exists under another method, or null. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | "method" | null {
    let pathMatched = false;
    for (const c of this.compiled) {
      const m = c.re.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < c.names.length; i++) {
        const raw = m[i + 1] ?? "";
        let value: string;
        try {
          value = decodeURIComponent(raw);
        } catch {
          return null; // malformed percent-encoding: treat as an unknown path
        }
        params[c.names[i] as string] = value;
      }
      return { route: c.route, params };
    }
    return pathMatched ? "method" : null;
  }
}
