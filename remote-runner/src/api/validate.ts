import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Static, TSchema } from "@agentrl/protocol";
import { ApiError } from "./errors.js";

// ajv-formats is CommonJS with a default export; under NodeNext the function sits on `.default`.
const addFormats = (addFormatsModule as unknown as { default: (a: Ajv) => Ajv }).default;

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false });
addFormats(ajv);

const compiled = new WeakMap<TSchema, ValidateFunction>();

function fieldOf(err: ErrorObject, root: string): string {
  const parts = err.instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const params = err.params as { missingProperty?: string; additionalProperty?: string };
  if (err.keyword === "required" && params.missingProperty) parts.push(params.missingProperty);
  if (err.keyword === "additionalProperties" && params.additionalProperty) parts.push(params.additionalProperty);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : `${acc}.${p}`), root);
}

function describe(err: ErrorObject, field: string): string {
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case "required":
      return `${field} is required`;
    case "additionalProperties":
      return `${field} is not a known field`;
    case "type":
      return `${field} must be ${String(params.type)}`;
    case "enum":
      return `${field} must be one of ${JSON.stringify(params.allowedValues)}`;
    case "const":
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return `${field} ${err.message ?? "is invalid"}`;
  }
}

/**
 * Checks `value` against a protocol (TypeBox) schema; on failure throws a 400 whose message and
 * `field` name the first offending field, e.g. `body.group must be integer`.
 */
export function validate<S extends TSchema>(schema: S, value: unknown, root = "body"): Static<S> {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (fn(value)) return value as Static<S>;
  const err = fn.errors?.[0];
  if (!err) throw new ApiError(400, "invalid_request", `${root} is invalid.`, root);
  const field = fieldOf(err, root);
  // A union of literals fails on each branch: name every allowed value, not only the first branch's.
  const allowed = (fn.errors ?? []).filter((e) => e.keyword === "const" && e.instancePath === err.instancePath).map((e) => (e.params as { allowedValue: unknown }).allowedValue);
  if (err.keyword === "const" && allowed.length > 1) {
    throw new ApiError(400, "invalid_field", `${field} must be one of ${JSON.stringify(allowed)}. Fix: correct ${field} and send the request again.`, field);
  }
  throw new ApiError(400, "invalid_field", `${describe(err, field)}. Fix: correct ${field} and send the request again.`, field);
}
