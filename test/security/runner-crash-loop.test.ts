// Attack: a run that takes the runner down (the kernel's OOM killer, or, before bundle code left the
// runner process, an env calling process.exit). Each start resumed the run and went down again, so
// the runner never came up. Now a run that was active while the runner went down twice is failed
// at the next start, with the reason; and `--no-resume` starts the runner without touching
// unfinished runs. The runner is killed here (SIGKILL) while the run's episode waits in a tool.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunnerClient } from "../../remote-runner/src/api/client.js";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { tempHome } from "../api/fixture.js";
import { stopServes } from "../api/serve-process.js";
import { buildCli, startRunnerProcess, TOKEN, type TestRunner } from "./support.js";

const home = tempHome("agentrl-crashloop-");
const envDir = path.join(home, "..", `${path.basename(home)}-env`);
const runners: TestRunner[] = [];

beforeAll(() => {
  buildCli();
  fs.mkdirSync(envDir);
  fs.writeFileSync(path.join(envDir, "tasks.jsonl"), '{"id":"t1","prompt":"hi"}\n');
  fs.writeFileSync(path.join(envDir, "wait.jsonl"), '{"task_id":"*","turns":[{"tool_calls":[{"name":"wait","arguments":{}}]}]}\n');
  fs.writeFileSync(
    path.join(envDir, "env.ts"),
    `import { defineEnvironment, defineReward, defineTool } from "@agentrl/sdk";
export default defineEnvironment({
  name: "crashes",
  maxTurns: 1,
  tools: [defineTool({ name: "wait", description: "waits", parameters: { type: "object", properties: {} }, timeoutMs: 600000, run: () => new Promise(() => {}) })],
  rewards: [defineReward({ name: "r", score: () => 0 })],
});
`,
  );
});
afterAll(async () => {
  await stopServes(runners);
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(envDir, { recursive: true, force: true });
});

/** Kills the runner (as the OOM killer would) once the run's episode waits in its tool: a condition, not a timing guess. */
async function crashWhileActive(r: TestRunner, runId: string): Promise<void> {
  const client = new RunnerClient(r.url, TOKEN);
  while (!(await client.liveEpisodes(runId)).episodes.some((e) => e.phase === "tool")) await new Promise((res) => setTimeout(res, 100));
  r.child.kill("SIGKILL");
  expect(await r.exited).toBe("SIGKILL");
}

async function start(args: string[] = []): Promise<TestRunner> {
  const r = await startRunnerProcess({}, args, home);
  runners.push(r);
  return r;
}

describe("a run that takes the runner down", () => {
  it("takes it down at most twice; the third start fails the run with the reason and stays up", async () => {
    const first = await start();
    const client = new RunnerClient(first.url, TOKEN);
    const { tarGz } = await bundleEnv(envDir);
    const sha = (await client.uploadEnvironment(tarGz, "crashes")).sha256;
    const run = await client.createRun({ env: sha, policy: { spec: "scripted:wait.jsonl" }, group: 1, concurrency: 1 });
    await crashWhileActive(first, run.id);

    // --no-resume: up, the run left as it was (it resumes at a later start).
    const calm = await start(["--no-resume"]);
    const calmClient = new RunnerClient(calm.url, TOKEN);
    expect((await calmClient.health()).ok).toBe(true);
    expect((await calmClient.getRun(run.id)).status).toMatch(/queued|running/);
    expect(calm.stderr()).toContain(`not resumed (--no-resume): ${run.id}`);
    calm.child.kill("SIGTERM");
    await calm.exited;

    // The second crash: the run is resumed and the runner goes down again.
    const second = await start();
    await crashWhileActive(second, run.id);

    // The third start: the run is failed, not resumed; the runner stays up and says why.
    const third = await start();
    const c3 = new RunnerClient(third.url, TOKEN);
    const failed = await c3.getRun(run.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("the runner went down 2 times while this run was active");
    expect(failed.error).toContain("Fix:");
    expect((await c3.health()).ok).toBe(true);
    expect(third.stderr()).toContain(`run ${run.id} failed at start`);
  }, 300_000);
});
