// Attack: an env.ts whose top-level code ends the process (process.exit) or throws. Imported into
// the runner, the first ended it (at validation, and again at every start that resumed the run).
// The runner here is the real CLI (`agentrl serve`) in its own process, so an exit that reached
// it would end it. Now the module is loaded in a process of its own: a named environment error,
// and the runner stays up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunnerClient, RunnerError } from "../../remote-runner/src/api/client.js";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { startRun } from "../../remote-runner/src/rollout/engine.js";
import { openStore } from "../../remote-runner/src/store/store.js";
import { stopServes } from "../api/serve-process.js";
import { buildCli, startRunnerProcess, TOKEN, type TestRunner } from "./support.js";
import { tempDir, useTempHome, writeFiles } from "../rollout/support.js";

const ENVS = {
  exits: `import { defineEnvironment, defineReward } from "@agentrl/sdk";
process.exit(1);
export default defineEnvironment({ name: "exits", rewards: [defineReward({ name: "r", score: () => 0 })] });`,
  throws: `import { defineEnvironment, defineReward } from "@agentrl/sdk";
throw new Error("boom at import");
export default defineEnvironment({ name: "throws", rewards: [defineReward({ name: "r", score: () => 0 })] });`,
};

const dirs: Record<string, string> = {};
let runner: TestRunner;
let client: RunnerClient;
beforeAll(async () => {
  useTempHome();
  for (const [name, src] of Object.entries(ENVS)) dirs[name] = writeFiles(tempDir(`import-${name}`), { "env.ts": src, "tasks.jsonl": '{"id":"t1","prompt":"hi"}\n' });
  buildCli();
  runner = await startRunnerProcess();
  client = new RunnerClient(runner.url, TOKEN);
}, 120_000);
afterAll(async () => {
  await stopServes(runner ? [runner] : []);
});

const EXPECTED = {
  exits: { message: /env\.ts: the environment module ended its process while loading \(exit code 1\)/, fix: /Fix: remove the process\.exit call/ },
  throws: { message: /env\.ts: the module threw while loading: boom at import/, fix: /Fix: fix the top-level code of the env module/ },
};

describe("an env module that exits or throws at import", () => {
  for (const name of ["exits", "throws"] as const) {
    it(`${name}: a run of the uploaded env is refused as an invalid environment naming the problem and the fix; the runner stays up`, async () => {
      const env = (await client.uploadEnvironment((await bundleEnv(dirs[name] as string)).tarGz, name)).sha256;
      const err = await client.createRun({ env, policy: { spec: "noop" }, group: 1, concurrency: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunnerError);
      expect((err as RunnerError).status).toBe(400);
      expect((err as RunnerError).message).toMatch(EXPECTED[name].message);
      expect((err as RunnerError).message).toMatch(EXPECTED[name].fix);
      expect((await client.health()).ok).toBe(true);
      expect(runner.child.exitCode).toBeNull();
    });

    it(`${name}: a run started on its folder (agentrl rollout) fails with the named environment error`, async () => {
      const store = openStore();
      try {
        const sandboxes = { acquire: () => Promise.reject(new Error("no sandbox needed")), release: async () => {} };
        const handle = startRun(store, { envDir: dirs[name] as string, policy: { spec: "noop" }, group: 1, concurrency: 1 }, { sandboxes });
        await expect(handle.done).rejects.toThrow(EXPECTED[name].message);
        const run = store.getRun(handle.runId);
        expect(run?.status).toBe("failed");
        expect(run?.error).toMatch(EXPECTED[name].fix);
      } finally {
        store.close();
      }
    });
  }
});
