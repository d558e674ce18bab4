// examples/gui-form through the real CLI, rollout engine, Docker desktops and store.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../remote-runner/src/store/store.js";
import { lastJsonLine, REPO_ROOT as ROOT, runAgentrl, type CliResult } from "../helpers/cli.js";

const HOME = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-gui-home-"));
const EXAMPLE = path.join(ROOT, "examples/gui-form");

const agentrl = (args: string[]): Promise<CliResult> => runAgentrl(HOME, args);
const summary = (stdout: string) => lastJsonLine<{ trajectories: number; errors: number; mean_reward: number; run_id: string }>(stdout);

afterAll(() => fs.rmSync(HOME, { recursive: true, force: true }));

describe("gui-form rollouts", () => {
  it("the reference solves every task, with a screenshot per action and the click's coordinates stored", async () => {
    const r = await agentrl(["rollout", EXAMPLE, "--policy", `scripted:${path.join(EXAMPLE, "reference.jsonl")}`, "--concurrency", "2", "--json"]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const s = summary(r.stdout);
    expect(s.trajectories).toBe(14);
    expect(s.errors).toBe(0);
    expect(s.mean_reward).toBe(1);
    const store = openStore(HOME);
    try {
      const { items } = store.queryTrajectories({ runId: s.run_id, offset: 0, limit: 100 });
      expect(items).toHaveLength(14);
      const t = store.getTrajectory(items.find((i) => i.taskId === "form-name")?.id as string);
      expect(t?.reward.components.osworld).toBe(1);
      // The opening message carries the first screen; every action's observation carries the screen after it.
      expect(t?.prompt.some((m) => m.images?.length)).toBe(true);
      const first = t?.turns[0];
      const click = first?.assistant.toolCalls?.[0];
      expect(click?.name).toBe("click");
      expect(click?.arguments).toEqual({ x: 287, y: 86 });
      for (const o of first?.observations ?? []) {
        expect(o.images).toHaveLength(1);
        const blob = store.getBlob(o.images?.[0]?.sha256 as string);
        expect(blob?.mime).toBe("image/png");
        expect(blob?.bytes.subarray(1, 4).toString()).toBe("PNG");
      }
      expect(first?.observations[1]?.content).toContain('text "Name" value="Ada Lovelace"');
      expect(t?.artifacts?.final_screenshot?.mime).toBe("image/png");
    } finally {
      store.close();
    }
  });

  it("the noop policy scores 0", async () => {
    const r = await agentrl(["rollout", EXAMPLE, "--policy", "noop", "--tasks", "4", "--concurrency", "2", "--json"]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const s = summary(r.stdout);
    expect(s.trajectories).toBe(4);
    expect(s.mean_reward).toBe(0);
  });

  it("a setup step that fails is an environment error naming the task and the step, and the run goes on", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-gui-setup-"));
    fs.copyFileSync(path.join(EXAMPLE, "env.ts"), path.join(dir, "env.ts"));
    fs.cpSync(path.join(EXAMPLE, "files"), path.join(dir, "files"), { recursive: true });
    const good = fs.readFileSync(path.join(EXAMPLE, "tasks.jsonl"), "utf8").split("\n")[0] as string;
    const id = "3d6c1f0e-9b7a-4a52-8f0e-5b1c2d3e4f50";
    const failing = { id, instruction: "Nothing to do.", config: [{ type: "execute", parameters: { command: "python -c \"import sys; sys.exit(7)\"", shell: true } }], evaluator: { func: "infeasible" } };
    fs.writeFileSync(path.join(dir, "tasks.jsonl"), `${good}\n${JSON.stringify(failing)}\n`);
    try {
      const r = await agentrl(["rollout", dir, "--policy", "noop", "--json"]);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const s = summary(r.stdout);
      expect([s.trajectories, s.errors]).toEqual([2, 1]);
      const store = openStore(HOME);
      try {
        const rows = store.queryTrajectories({ runId: s.run_id, offset: 0, limit: 10 }).items.map((i) => store.getTrajectory(i.id));
        const t = rows.find((x) => x?.taskId === id);
        expect(t?.status).toBe("env_error");
        expect(t?.error?.kind).toBe("environment");
        expect(t?.error?.message).toMatch(new RegExp(`task "${id}": config\\[0\\] \\(execute\\) failed: exited 7`));
        expect(store.getRun(s.run_id)?.summary?.envErrors).toBe(1);
        expect(rows.find((x) => x?.taskId !== id)?.status).toBe("finished");
      } finally {
        store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a task in OSWorld's form with an unsupported metric is refused before any desktop starts, naming the supported ones", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-gui-bad-"));
    fs.copyFileSync(path.join(EXAMPLE, "env.ts"), path.join(dir, "env.ts"));
    const good = fs.readFileSync(path.join(EXAMPLE, "tasks.jsonl"), "utf8").split("\n")[0] as string;
    const bad = { ...JSON.parse(good), id: "uses-pptx", evaluator: { func: "compare_pptx_files", result: { type: "vm_file", path: "/home/agent/a.pptx" }, expected: { type: "vm_file", path: "/home/agent/b.pptx" } } };
    fs.writeFileSync(path.join(dir, "tasks.jsonl"), `${good}\n${JSON.stringify(bad)}\n`);
    const r = await agentrl(["rollout", dir, "--policy", "noop", "--json"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/tasks\.jsonl:2/);
    expect(r.stderr).toMatch(/evaluator\.func "compare_pptx_files" is not supported; supported metrics: infeasible, exact_match/);
  });
});
