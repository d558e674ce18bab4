import { Health, type TSchema } from "@agentrl/protocol";
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
  ];
}
