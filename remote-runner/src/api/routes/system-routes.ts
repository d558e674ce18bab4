import { Health, StreamFrame, StreamQuery, type TSchema } from "@agentrl/protocol";
import { ApiError } from "../errors.js";
import { buildOpenApi } from "../openapi.js";
import type { Route } from "../router.js";

export const RUNNER_VERSION = "0.1.0";

/** Health (no token: load balancers and `agentrl runs` probe it) and the OpenAPI document. */
export function systemRoutes(allRoutes: () => Route[]): Route[] {
  const started = Date.now();
  let doc: Record<string, unknown> | undefined;
  return [
    {
      method: "GET",
      path: "/v1/health",
      summary: "Is the runner up",
      tag: "system",
      auth: false,
      response: Health,
      handler: (): Health => ({ ok: true, version: RUNNER_VERSION, api: "v1", uptimeS: Math.round((Date.now() - started) / 1000) }),
    },
    {
      method: "GET",
      path: "/v1/openapi.json",
      summary: "This API as an OpenAPI 3.1 document, generated from the protocol schemas",
      tag: "system",
      auth: false,
      response: { type: "object" } as unknown as TSchema,
      handler: () => (doc ??= buildOpenApi(allRoutes(), RUNNER_VERSION)),
    },
    {
      // Documents the WebSocket in the OpenAPI document; a plain GET is told to upgrade.
      method: "GET",
      path: "/v1/events",
      summary:
        "WebSocket event stream (upgrade). Frames: StreamFrame JSON. Resume with ?after=LAST_SEQ or a first message StreamSubscribe; " +
        'a client that reads too slowly is closed with code 4000 and reason {"resumeAfter": SEQ}',
      tag: "events",
      auth: true,
      query: StreamQuery,
      response: StreamFrame,
      status: 101,
      errors: [426],
      handler: () => {
        throw new ApiError(426, "upgrade_required", "/v1/events is a WebSocket: connect with `Upgrade: websocket` (e.g. new WebSocket(url, { headers: { Authorization } })).");
      },
    },
  ];
}
