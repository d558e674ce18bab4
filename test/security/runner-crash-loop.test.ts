// Attack: an environment whose code ends the runner process (process.exit in its prompt). Each
// start resumed the run and went down again, so the runner never came up. Now a run that was
// active while the runner went down twice is failed at the next start, with the reason; and
// `--no-resume` starts the runner without touching unfinished runs.
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
  fs.writeFileSync(
    path.join(envDir, "env.ts"),
    `import { defineEnvironment, defineReward } from "@agentrl/sdk";
export default defineEnvironment({
  name: "exits",
  prompt: () => { process.exit(7); },
  maxTurns: 1,
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

async function start(args: string[] = []): Promise<TestRunner> {
  const r = await startRunnerProcess({}, args, home);
  runners.push(r);
  return r;
}

describe("an env that ends the runner process", () => {
  it("takes it down at most twice; the third start fails the run with the reason and stays up", async () => {
    const first = await start();
    const client = new RunnerClient(first.url, TOKEN);
    const { tarGz } = await bundleEnv(envDir);
    const sha = (await client.uploadEnvironment(tarGz, "exits")).sha256;
    const run = await client.createRun({ env: sha, policy: { spec: "noop" }, group: 1, concurrency: 1 });
    expect(await first.exited).toBe("7"); // the env's process.exit(7) ended the runner

    // --no-resume: up, the run left as it was (it resumes at a later start).
    const calm = await start(["--no-resume"]);
    const calmClient = new RunnerClient(calm.url, TOKEN);
    expect((await calmClient.health()).ok).toBe(true);
    expect((await calmClient.getRun(run.id)).status).toMatch(/queued|running/);
    expect(calm.stderr()).toContain(`not resumed (--no-resume): ${run.id}`);
    calm.child.kill("SIGTERM");
    await calm.exited;

    // The second crash: the run is resumed and ends the runner again.
    const second = await start().catch((e: Error) => e);
    if (!(second instanceof Error)) expect(await second.exited).toBe("7");

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
