// The JSON Schema files shipped for editors are the protocol's schemas (no drift), and they accept
// real task lines and reject broken ones.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILES, schemaText } from "../../sdk/src/schema-files.js";
import { CALCULATOR_DIR } from "../rollout/support.js";

const DIR = path.resolve(__dirname, "../../sdk/schemas");
// ajv 8 as the runner uses it (the repository root has eslint's ajv 6).
const { Ajv } = createRequire(path.resolve(__dirname, "../../remote-runner/package.json"))("ajv") as { Ajv: new (o: object) => { compile(s: object): (v: unknown) => boolean } };

describe("editor schemas", () => {
  it("the committed files match the protocol definitions (regenerate with npx tsx sdk/scripts/write-schemas.ts)", () => {
    for (const [name, schema] of Object.entries(SCHEMA_FILES)) expect(fs.readFileSync(path.join(DIR, name), "utf8")).toBe(schemaText(schema));
  });

  it("task.schema.json accepts the calculator tasks and rejects tasks without an id", () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(fs.readFileSync(path.join(DIR, "task.schema.json"), "utf8")) as object);
    const lines = fs.readFileSync(path.join(CALCULATOR_DIR, "tasks.jsonl"), "utf8").trim().split("\n");
    for (const line of lines) expect(validate(JSON.parse(line))).toBe(true);
    expect(validate({ prompt: "no id" })).toBe(false);
    expect(validate({ id: "", prompt: "empty id" })).toBe(false);
    expect(validate({ id: "x", tools: "calculate" })).toBe(false);
  });
});
