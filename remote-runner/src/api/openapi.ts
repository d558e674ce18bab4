import type { TSchema } from "@agentrl/protocol";
import { ErrorBody } from "@agentrl/protocol";
import type { Route } from "./router.js";

type Json = Record<string, unknown>;

/** TypeBox schemas carry symbol keys; a JSON round trip leaves plain JSON Schema. */
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

const ERROR_TEXT: Record<number, string> = {
  400: "Malformed request; `error.field` names the offending field",
  401: "Missing or wrong bearer token",
  404: "Not found",
  409: "Conflicts with the current state",
  413: "Body larger than the limit",
  426: "Upgrade required (WebSocket endpoint)",
  415: "Unsupported content type",
  500: "Runner error",
};

/** Builds the OpenAPI 3.1 document from the route table, whose schemas come from the protocol package. */
export function buildOpenApi(routes: Route[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const op: Json = { summary: r.summary, tags: [r.tag], operationId: `${r.method.toLowerCase()}${r.path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}` };
    const parameters: Json[] = [];
    for (const m of r.path.matchAll(/\{(\w+)\}/g)) parameters.push({ name: m[1], in: "path", required: true, schema: { type: "string" } });
    const q = r.query as { properties?: Record<string, TSchema>; required?: string[] } | undefined;
    for (const [name, s] of Object.entries(q?.properties ?? {})) {
      parameters.push({ name, in: "query", required: q?.required?.includes(name) ?? false, schema: plain(s) });
    }
    if (parameters.length) op.parameters = parameters;
    if (r.body === "gzip") {
      op.requestBody = { required: true, content: { "application/gzip": { schema: { type: "string", format: "binary" } } } };
    } else if (r.body) {
      op.requestBody = { required: true, content: { "application/json": { schema: plain(r.body) } } };
    }
    const responses: Json = {};
    const okContent =
      "contentType" in r.response && typeof r.response.contentType === "string"
        ? { [r.response.contentType]: { schema: { type: "string", format: "binary" } } }
        : { "application/json": { schema: plain(r.response as TSchema) } };
    responses[String(r.status ?? 200)] = { description: r.status === 101 ? "Switching Protocols: WebSocket frames follow" : "OK", content: okContent };
    const errors = new Set([400, 500, ...(r.auth ? [401] : []), ...(r.errors ?? [])]);
    for (const s of [...errors].sort()) responses[String(s)] = { description: ERROR_TEXT[s] ?? "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorBody" } } } };
    op.responses = responses;
    if (!r.auth) op.security = [];
    paths[r.path] = { ...(paths[r.path] ?? {}), [r.method.toLowerCase()]: op };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "AgentRL runner API",
      version,
      description:
        "Runs, trajectories and environments of an AgentRL runner. Every route except health and this document needs `Authorization: Bearer TOKEN`. " +
        "Live events: WebSocket `GET /v1/events?after=SEQ[&runId=ID]` (or a first message `{\"after\": SEQ}`), frames `{kind: ready|event|live}`; " +
        "a client that reads too slowly is closed with code 4000 and reason `{\"resumeAfter\": SEQ}`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { ErrorBody: plain(ErrorBody) },
    },
    paths,
  };
}
