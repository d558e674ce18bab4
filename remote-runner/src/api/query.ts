import type { TSchema } from "@agentrl/protocol";
import { ApiError } from "./errors.js";
import { validate } from "./validate.js";

interface PropSchema {
  type?: string;
  anyOf?: PropSchema[];
}

function typeOf(schema: PropSchema): string | undefined {
  if (schema.type) return schema.type;
  return schema.anyOf?.map(typeOf).find((t) => t && t !== "null");
}

/**
 * Turns URL search parameters into typed values by the route's query schema (numbers and
 * booleans arrive as strings), then validates them so errors name the parameter: `query.limit`.
 */
export function parseQuery(schema: TSchema | undefined, params: URLSearchParams): Record<string, unknown> {
  const props = (schema as { properties?: Record<string, PropSchema> } | undefined)?.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, raw] of params) {
    const prop = props[key];
    if (!prop) throw new ApiError(400, "invalid_field", `query.${key} is not a known parameter. Fix: use one of ${Object.keys(props).join(", ") || "no parameters"}.`, `query.${key}`);
    if (key in out) throw new ApiError(400, "invalid_field", `query.${key} is given more than once.`, `query.${key}`);
    const t = typeOf(prop);
    if (t === "integer" || t === "number") {
      const n = raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw new ApiError(400, "invalid_field", `query.${key} must be a number, got ${JSON.stringify(raw.slice(0, 40))}.`, `query.${key}`);
      out[key] = n;
    } else if (t === "boolean") {
      if (raw !== "true" && raw !== "false") throw new ApiError(400, "invalid_field", `query.${key} must be true or false.`, `query.${key}`);
      out[key] = raw === "true";
    } else {
      out[key] = raw;
    }
  }
  if (!schema) return out;
  return validate(schema, out, "query") as Record<string, unknown>;
}
