import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findRewardDecls } from "./reward-decls";
import { validateTasksJsonl } from "./validate-tasks";

const root = path.resolve(__dirname, "../..");

describe("tasks.jsonl diagnostics", () => {
  it("accepts the examples' tasks (plain, SWE and OSWorld-form)", () => {
    for (const ex of ["calculator", "swe-mini", "gui-form"]) {
      const file = path.join(root, "examples", ex, "tasks.jsonl");
      if (fs.existsSync(file)) expect(validateTasksJsonl(fs.readFileSync(file, "utf8")), ex).toEqual([]);
    }
    expect(validateTasksJsonl(fs.readFileSync(path.join(root, "examples/calculator/tasks.jsonl"), "utf8"))).toEqual([]);
  });

  it("puts each problem on its line, naming the field and the fix", () => {
    const text = ['{"id":"a","prompt":"q"}', '{"id":"b","prompt":"q"', "", '{"prompt":"no id"}', '{"id":"a","prompt":"dup"}', '{"id":"c","prompt":7}', '{"id":"d"}', "[1,2]"].join("\n");
    const p = validateTasksJsonl(text);
    const at = (line: number): string => p.filter((x) => x.line === line).map((x) => x.message).join(" | ");
    expect(at(0)).toBe("");
    expect(at(1)).toMatch(/Line 2 is not valid JSON .*Fix: one JSON object per line/);
    expect(at(3)).toMatch(/id/);
    expect(at(4)).toMatch(/Duplicate task id "a" \(first on line 1\)/);
    expect(at(5)).toMatch(/"prompt"/);
    expect(at(6)).toMatch(/neither "prompt" nor "messages"/);
    expect(at(7)).toMatch(/an array, not a task object/);
    // The squiggle sits on the offending field, not the whole line.
    const dup = p.find((x) => x.line === 4 && /Duplicate/.test(x.message))!;
    expect(text.split("\n")[4]!.slice(dup.start, dup.end)).toBe('"id"');
  });
});

describe("reward CodeLens targets", () => {
  it("finds built-in graders in rewards: [...] and defineReward calls, with their names and lines", () => {
    const src = fs.readFileSync(path.join(root, "examples/calculator/env.ts"), "utf8");
    const decls = findRewardDecls(src);
    expect(decls.map((d) => d.name)).toEqual(["correct", "tool_efficiency", "format"]);
    const lines = src.split("\n");
    for (const d of decls) expect(lines[d.line]).toContain(`"${d.name}"`);
    const custom = 'import { defineReward } from "@agentrl/sdk";\nconst concise = defineReward({\n  name: "concise",\n  score: () => 1,\n});\n';
    expect(findRewardDecls(custom)).toEqual([{ name: "concise", line: 1 }]);
  });

  it("ignores objects with a name outside a rewards array", () => {
    expect(findRewardDecls('const t = defineTool({ name: "calculate" });\nconst x = foo({ name: "bar" });')).toEqual([]);
  });
});
