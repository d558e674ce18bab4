// Writes the JSON Schemas editors use for IntelliSense (tasks.jsonl lines, environment info,
// trajectories) from the protocol's TypeBox definitions. Run: npx tsx sdk/scripts/write-schemas.ts
import fs from "node:fs";
import path from "node:path";
import { SCHEMA_FILES, schemaText } from "../src/schema-files.js";

const dir = path.resolve(path.dirname(process.argv[1] ?? "."), "../schemas");
for (const [name, schema] of Object.entries(SCHEMA_FILES)) fs.writeFileSync(path.join(dir, name), schemaText(schema));
console.log(`wrote ${Object.keys(SCHEMA_FILES).join(", ")} to ${dir}`);
