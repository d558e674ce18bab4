// The `agentrl` commands as a user runs them (from source through tsx), against real Docker and a
// temporary AGENTRL_HOME: rollout --json, export, rescore, preflight and their errors.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CALCULATOR_DIR, tempDir, writeFiles } from "./support.js";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const HOME = tempDir("cli-home");

async function agentrl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", path.join(ROOT, "remote-runner/src/cli/main.ts"), ...args], { cwd: ROOT, env: { ...process.env, AGENTRL_HOME: HOME }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "") as Record<string, unknown>;
}

describe("agentrl CLI", () => {
  it("rollout --json ends stdout with the summary object; export and rescore work on that run", async () => {
    const r = await agentrl(["rollout", CALCULATOR_DIR, "--policy", "scripted:examples/calculator/reference.jsonl", "--tasks", "4", "--group", "2", "--concurrency", "4", "--json"]);
    expect(r.code).toBe(0);
    const out = lastJson(r.stdout);
    expect(out).toEqual({ trajectories: 8, errors: 0, mean_reward: 1, run_id: expect.stringMatching(/^run-/), episodes_per_s: expect.any(Number) });
    expect(r.stdout).toMatch(/mean reward\s+1\.000/);
    expect(r.stderr).toMatch(/rollout .*8\/8/);
    const runId = String(out.run_id);

    const file = path.join(HOME, "export.jsonl");
    const ex = await agentrl(["export", runId, "--out", file]);
    expect(ex.code).toBe(0);
    const rows = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { run_id: string; reward: number; messages: unknown[] });
    expect(rows).toHaveLength(8);
    expect(rows.every((x) => x.run_id === runId && x.reward === 1 && x.messages.length === 5)).toBe(true);

    const rs = await agentrl(["rescore", runId, "--json"]);
    expect(rs.code).toBe(0);
    const rep = lastJson(rs.stdout) as { rescored: number; changed: number; meanAfter: number; rows: { before: number; after: number }[] };
    expect([rep.rescored, rep.changed, rep.meanAfter]).toEqual([8, 0, 1]);
    expect(rs.stdout).toMatch(/8 of 8 trajectories rescored/);
  });

  it("without --tasks every task runs once; noop scores 0", async () => {
    const dir = writeFiles(tempDir("cli-env"), {
      "env.ts": fs.readFileSync(path.join(CALCULATOR_DIR, "env.ts"), "utf8"),
      "calc.py": fs.readFileSync(path.join(CALCULATOR_DIR, "calc.py"), "utf8"),
      "tasks.jsonl": fs.readFileSync(path.join(CALCULATOR_DIR, "tasks.jsonl"), "utf8").split("\n").slice(0, 5).join("\n") + "\n",
    });
    const r = await agentrl(["rollout", dir, "--policy", "noop", "--json"]);
    expect(lastJson(r.stdout)).toMatchObject({ trajectories: 5, errors: 0, mean_reward: 0 });
  });

  it("preflight fails, naming the tasks, when noop can earn reward", async () => {
    const dir = writeFiles(tempDir("cli-hack"), {
      "env.ts": 'import { defineEnvironment, defineReward } from "@agentrl/sdk";\nexport default defineEnvironment({ name: "hackable", rewards: [defineReward({ name: "says_anything", score: (ctx) => ctx.finalAnswer.length > 0 ? 1 : 0 })] });\n',
      "tasks.jsonl": '{"id":"t1","prompt":"p"}\n{"id":"t2","prompt":"q"}\n',
      "reference.jsonl": '{"task_id":"*","turns":[{"content":"the answer"}]}\n',
    });
    const bad = await agentrl(["preflight", dir, "--json"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/noop scores above 0 on 2 task\(s\): t1=1, t2=1/);
    expect(bad.stdout).toMatch(/preflight FAILED/);
  });

  it("adversarial preflight: the calculator's lazy policies earn little; a format-only reward fails on right-format-wrong-value, naming the trajectory", async () => {
    const ok = await agentrl(["preflight", CALCULATOR_DIR, "--tasks", "3", "--json"]);
    expect(ok.code).toBe(0);
    expect(lastJson(ok.stdout)).toMatchObject({ ok: true, problems: [] });
    const report = lastJson(ok.stdout) as { ok: boolean; checks: { policy: string; ok: boolean; max: number | null; trajectories: number }[] };
    const byPolicy = Object.fromEntries(report.checks.map((c) => [c.policy, c]));
    for (const lazy of ["lazy:empty", "lazy:echo", "lazy:wrong-value", "lazy:every-tool", "lazy:give-up"]) expect(byPolicy[lazy]).toMatchObject({ ok: true, trajectories: 3 });
    // Right format, wrong value earns the calculator's format credit only.
    expect(byPolicy["lazy:wrong-value"]?.max).toBeCloseTo(0.1, 10);
    const dir = writeFiles(tempDir("cli-format-only"), {
      "env.ts": 'import { defineEnvironment, formatReward } from "@agentrl/sdk";\nexport default defineEnvironment({ name: "format-only", rewards: [formatReward({ content: /^-?\\d+$/ })] });\n',
      "tasks.jsonl": fs.readFileSync(path.join(CALCULATOR_DIR, "tasks.jsonl"), "utf8").split("\n").slice(0, 3).join("\n") + "\n",
      "reference.jsonl": fs.readFileSync(path.join(CALCULATOR_DIR, "reference.jsonl"), "utf8"),
    });
    const bad = await agentrl(["preflight", dir, "--json"]);
    expect(bad.code).toBe(1);
    const failed = lastJson(bad.stdout) as { ok: boolean; checks: { policy: string; ok: boolean; gamed?: { trajectoryId: string; taskId: string; reward: number }[] }[] };
    const wrong = failed.checks.find((c) => c.policy === "lazy:wrong-value");
    expect(wrong).toMatchObject({ ok: false, gamed: [{ taskId: "calc-001", reward: 1 }, { taskId: "calc-002", reward: 1 }, { taskId: "calc-003", reward: 1 }] });
    expect(bad.stdout).toContain(`lazy:wrong-value scores above 0.5 on 3 of 3 trajectories (worst: task calc-001 = 1, trajectory ${wrong?.gamed?.[0]?.trajectoryId}`);
    expect(failed.checks.find((c) => c.policy === "lazy:empty")).toMatchObject({ ok: true });
  });

  it("bad input gives a clear error and exit code 1", async () => {
    const dir = writeFiles(tempDir("cli-bad"), { "env.ts": 'import { defineEnvironment } from "@agentrl/sdk";\nexport default defineEnvironment({ name: "x", rewards: [] });\n', "tasks.jsonl": '{"id":"a","prompt":"p"}\n{oops\n' });
    const r = await agentrl(["rollout", dir, "--policy", "noop"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/env\.ts \(rewards\): the environment has no rewards/);
    expect(r.stderr).toMatch(/tasks\.jsonl:2: invalid JSON/);
    const t = await agentrl(["rollout", CALCULATOR_DIR, "--policy", "noop", "--tasks", "500"]);
    expect(t.stderr).toMatch(/--tasks 500 asks for more tasks than tasks\.jsonl has \(60\)/);
    const p = await agentrl(["rollout", CALCULATOR_DIR, "--policy", "gpt4"]);
    expect(p.stderr).toMatch(/unknown policy "gpt4"/);
    const e = await agentrl(["export", "run-missing"]);
    expect(e.stderr).toMatch(/no run "run-missing"/);
  });
});
