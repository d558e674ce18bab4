// Loading environment folders: good ones load with provenance; bad ones fail with every problem
// named by file, line or field, and a fix.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { EnvLoadError } from "../../remote-runner/src/envs/errors.js";
import { loadEnvironment } from "../../remote-runner/src/envs/load.js";
import { CALCULATOR_DIR, tempDir, writeFiles } from "../rollout/support.js";

const GOOD_ENV = `
import { defineEnvironment, defineTool, defineReward } from "@agentrl/sdk";
const echo = defineTool({ name: "echo", description: "echo", parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] }, run: (a) => String(a.text) });
export default defineEnvironment({ name: "mini", tools: [echo], rewards: [defineReward({ name: "one", score: () => 1 })] });
`;
const TASKS = '{"id":"a","prompt":"p"}\n{"id":"b","prompt":"q"}\n';

async function loadError(files: Record<string, string>): Promise<EnvLoadError> {
  const dir = writeFiles(tempDir("env"), files);
  try {
    await loadEnvironment(dir, { git: false });
  } catch (err) {
    expect(err).toBeInstanceOf(EnvLoadError);
    return err as EnvLoadError;
  }
  throw new Error("the environment loaded but should not have");
}

describe("loading environments", () => {
  it("loads the calculator example with its tasks, tool specs and provenance", async () => {
    const env = await loadEnvironment(CALCULATOR_DIR);
    expect(env.tasks.length).toBeGreaterThanOrEqual(50);
    expect(env.info.tools.map((t) => t.name)).toEqual(["calculate"]);
    expect(env.info.rewards.map((r) => [r.name, r.weight])).toEqual([["correct", 0.7], ["tool_efficiency", 0.2], ["format", 0.1]]);
    expect(env.envHash).toMatch(/^[0-9a-f]{64}$/);
    expect(env.provenance.gitCommit).toMatch(/^[0-9a-f]{40}$/);
  });

  it("the bundle hash depends only on file contents", async () => {
    const a = writeFiles(tempDir("env"), { "env.ts": GOOD_ENV, "tasks.jsonl": TASKS });
    const b = writeFiles(tempDir("env"), { "env.ts": GOOD_ENV, "tasks.jsonl": TASKS });
    const [ha, hb] = await Promise.all([bundleEnv(a), bundleEnv(b)]);
    expect(ha.sha256).toBe(hb.sha256);
    fs.appendFileSync(path.join(b, "tasks.jsonl"), '{"id":"c","prompt":"r"}\n');
    expect((await bundleEnv(b)).sha256).not.toBe(ha.sha256);
  });

  it("an unknown kind is refused at load, naming the registered kinds", async () => {
    const env = GOOD_ENV.replace('name: "mini",', 'name: "mini", kind: "desktop" as "gui",');
    const err = await loadError({ "env.ts": env, "tasks.jsonl": TASKS });
    expect(err.issues).toContainEqual(expect.objectContaining({ field: "kind", message: 'unknown environment kind "desktop"' }));
    expect(err.message).toMatch(/Fix: use one of tool, swe, gui/);
  });

  it("a syntax error names env.ts, the line and the text", async () => {
    const err = await loadError({ "env.ts": 'import { defineEnvironment } from "@agentrl/sdk";\n\nexport default defineEnvironment({ name: "x",, });\n', "tasks.jsonl": TASKS });
    expect(err.message).toMatch(/env\.ts:3: .*Expected/);
    expect(err.issues[0]?.line).toBe(3);
  });

  it("a module without a default export, or not made by defineEnvironment, says how to fix it", async () => {
    let err = await loadError({ "env.ts": "export const env = {};\n", "tasks.jsonl": TASKS });
    expect(err.message).toMatch(/no default export.*export default defineEnvironment/);
    err = await loadError({ "env.ts": 'export default { name: "x", rewards: [] };\n', "tasks.jsonl": TASKS });
    expect(err.message).toMatch(/not made by defineEnvironment/);
    expect(err.message).toMatch(/rewards.*no rewards/);
  });

  it("a module that throws while loading names the file", async () => {
    const err = await loadError({ "env.ts": 'throw new Error("boom at load");\nexport default 1;\n', "tasks.jsonl": TASKS });
    expect(err.message).toMatch(/env\.ts.*threw while loading: boom at load/);
  });

  it("reports every field problem of tools and rewards at once", async () => {
    const err = await loadError({
      "env.ts": `
import { defineEnvironment, defineTool, defineReward } from "@agentrl/sdk";
export default defineEnvironment({
  name: "bad",
  maxTurns: 0,
  tools: [
    defineTool({ name: "has space", description: "", parameters: { type: "string" }, run: () => "" } as never),
    defineTool({ name: "dup", description: "d", parameters: { type: "object" }, run: () => "", command: () => "x" } as never),
  ],
  builtinTools: ["shell" as never],
  rewards: [defineReward({ name: "r", weight: -1, score: () => 1 })],
  train: { steps: 3, lr: 0.1 } as never,
});`,
      "tasks.jsonl": TASKS,
    });
    const fields = err.issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(["maxTurns", "tools[0].name", "tools[0].description", "tools[0].parameters", "tools[1]", "builtinTools[0]", "rewards[0].weight", "train.lr"]));
    for (const i of err.issues) expect(i.fix.length).toBeGreaterThan(5);
  });

  it("a tasks file with a broken line names the line; every bad line is listed", async () => {
    const err = await loadError({ "env.ts": GOOD_ENV, "tasks.jsonl": '{"id":"a","prompt":"p"}\n{"id":"b","prompt":"q"\n\n{"prompt":"no id"}\n{"id":"a","prompt":"dup"}\n[1,2]\n' });
    const lines = err.issues.map((i) => [i.line, i.message]);
    expect(lines).toEqual([
      [2, expect.stringMatching(/invalid JSON/)],
      [4, expect.stringMatching(/must have required property 'id'/)],
      [5, expect.stringMatching(/duplicate task id "a" \(first on line 1\)/)],
      [6, expect.stringMatching(/expected a JSON object, got an array/)],
    ]);
    expect(err.message).toMatch(/tasks\.jsonl:2: invalid JSON/);
  });

  it("a task that lists an unknown tool is an error naming the task, the tool and the known tools", async () => {
    const err = await loadError({ "env.ts": GOOD_ENV, "tasks.jsonl": '{"id":"a","prompt":"p","tools":["echo","search"]}\n' });
    expect(err.message).toMatch(/tasks\.jsonl:1 \(tools\): task "a" lists unknown tool "search" \(the environment has: echo\)/);
  });

  it("a missing folder, env.ts or tasks file is reported with the fix", async () => {
    await expect(loadEnvironment("/nonexistent/env")).rejects.toThrow(/does not exist/);
    let err = await loadError({ "tasks.jsonl": TASKS });
    expect(err.message).toMatch(/no env\.ts/);
    err = await loadError({ "env.ts": GOOD_ENV });
    expect(err.message).toMatch(/tasks\.jsonl.*does not exist/);
  });
});
