// Harbor task folders through the real CLI, rollout engine, Docker image builds and store: the
// example scores 1 with its solutions and 0 doing nothing; partial credit and reward.json components
// come through; a task whose Dockerfile cannot build is a named environment error while the run goes
// on; and tests/ is nowhere in the sandbox while the agent works.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../remote-runner/src/store/store.js";
import { lastJsonLine, REPO_ROOT as ROOT, runAgentrl, type CliResult } from "../helpers/cli.js";

const HOME = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-harbor-home-"));
const EXAMPLE = path.join(ROOT, "examples/harbor-mini");
const MARKER = "HIDDEN-VERIFIER-MARKER-7f3a";

const agentrl = (args: string[]): Promise<CliResult> => runAgentrl(HOME, args);
const summary = (stdout: string) => lastJsonLine<{ trajectories: number; errors: number; mean_reward: number; run_id: string }>(stdout);

function trajectories(runId: string) {
  const store = openStore(HOME);
  try {
    return store.queryTrajectories({ runId, offset: 0, limit: 100 }).items.map((i) => store.getTrajectory(i.id));
  } finally {
    store.close();
  }
}

afterAll(() => fs.rmSync(HOME, { recursive: true, force: true }));

describe("Harbor task folders", () => {
  it("examples/harbor-mini: --policy oracle scores 1 on every task and noop 0", async () => {
    const oracle = await agentrl(["rollout", EXAMPLE, "--policy", "oracle", "--concurrency", "2", "--json"]);
    expect(oracle.code, oracle.stderr.slice(-3000)).toBe(0);
    const o = summary(oracle.stdout);
    expect(o.trajectories).toBeGreaterThanOrEqual(6);
    expect(o.errors).toBe(0);
    for (const t of trajectories(o.run_id)) expect([t?.taskId, t?.reward.total]).toEqual([t?.taskId, 1]);
    const noop = await agentrl(["rollout", EXAMPLE, "--policy", "noop", "--concurrency", "2", "--json"]);
    expect(noop.code, noop.stderr.slice(-3000)).toBe(0);
    const n = summary(noop.stdout);
    expect(n.errors).toBe(0);
    for (const t of trajectories(n.run_id)) expect([t?.taskId, t?.reward.total]).toEqual([t?.taskId, 0]);
  }, 900_000);

  it("partial credit, broken Dockerfiles as named environment errors, and no tests/ during the episode", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-harbor-env-"));
    fs.cpSync(path.join(__dirname, "fixtures"), dir, { recursive: true });
    fs.cpSync(path.join(EXAMPLE, "log-report"), path.join(dir, "log-report"), { recursive: true });
    // The agent looks for the tests everywhere it could, then does the task; half of log-report only.
    const look = `if [ -e /tests/test.sh ] || grep -rqs ${MARKER.slice(0, 15)} /tests /logs /solution /app /tmp /home; then touch /app/saw-tests; fi; ls -A /tests /logs/verifier; find / -xdev -name test.sh 2>/dev/null; echo done > /app/out.txt`;
    const script = [
      { task_id: "peek", turns: [{ tool_calls: [{ name: "bash", arguments: { command: look } }] }] },
      { task_id: "log-report", turns: [{ tool_calls: [{ name: "bash", arguments: { command: "mkdir -p /app/report && wc -l < /app/app.log > /app/report/count.txt" } }] }] },
      { task_id: "*", turns: [] },
    ];
    const scriptFile = path.join(dir, "script.jsonl");
    fs.writeFileSync(scriptFile, script.map((s) => JSON.stringify(s)).join("\n"));
    try {
      const r = await agentrl(["rollout", dir, "--policy", `scripted:${scriptFile}`, "--concurrency", "2", "--json"]);
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      const s = summary(r.stdout);
      expect(s.trajectories).toBe(4);
      const byTask = new Map(trajectories(s.run_id).map((t) => [t?.taskId, t]));

      const peek = byTask.get("peek");
      const seen = peek?.turns[0]?.observations[0]?.content ?? "";
      expect(seen).not.toContain(MARKER);
      expect(seen).not.toMatch(/test\.sh/);
      expect(peek?.prompt.map((m) => m.content).join("\n")).not.toContain(MARKER);
      // 1 only if out.txt is right and the agent found no trace of the tests.
      expect(peek?.reward.total).toBe(1);
      const report = peek?.artifacts?.verifier_report;
      expect(report?.mime).toBe("application/json");

      const half = byTask.get("log-report");
      expect(half?.reward.total).toBe(0.5);
      expect(half?.reward.components).toMatchObject({ harbor: 0.5, "harbor:count": 1, "harbor:errors": 0 });

      const from = byTask.get("broken-from");
      expect(from?.status).toBe("env_error");
      expect(from?.error?.kind).toBe("environment");
      expect(from?.error?.message).toMatch(/task "broken-from": environment\/Dockerfile builds FROM node:20-bookworm, which this runner cannot map.*Fix: build FROM a Debian, Ubuntu or Python image/);
      const build = byTask.get("broken-build");
      expect(build?.status).toBe("env_error");
      expect(build?.error?.message).toMatch(/task "broken-build": environment\/Dockerfile .*did not build: .*non-zero code: 3.*Fix: correct the Dockerfile/s);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
