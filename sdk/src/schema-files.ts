import { environmentJsonSchema, taskJsonSchema, trajectoryJsonSchema } from "./schemas.js";

/** The schema files shipped in sdk/schemas/ (regenerate with `npx tsx sdk/scripts/write-schemas.ts`). */
export const SCHEMA_FILES: Record<string, Record<string, unknown>> = {
  "task.schema.json": taskJsonSchema,
  "environment.schema.json": environmentJsonSchema,
  "trajectory.schema.json": trajectoryJsonSchema,
};

export function schemaText(schema: Record<string, unknown>): string {
  return `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...schema }, null, 2)}\n`;
}
