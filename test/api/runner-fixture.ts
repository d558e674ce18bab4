// The real runner service in this process (store, Docker sandboxes, engine) on a loopback port.
import fs from "node:fs";
import path from "node:path";
import { RunnerClient } from "../../remote-runner/src/api/client.js";
import { startRunner, type Runner } from "../../remote-runner/src/api/runner-server.js";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { tempHome } from "./fixture.js";

export const CALCULATOR = path.resolve(__dirname, "../../examples/calculator");

export async function startTestRunner(opts: { maxSandboxes?: number } = {}): Promise<{ runner: Runner; client: RunnerClient; close(): Promise<void> }> {
  const home = tempHome("agentrl-runner-");
  const runner = await startRunner({ home, port: 0, maxSandboxes: opts.maxSandboxes ?? 4 });
  const client = new RunnerClient(runner.url, runner.token.token);
  return {
    runner,
    client,
    close: async () => {
      await runner.runs.settled();
      await runner.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Uploads the calculator example and returns its sha256. */
export async function uploadCalculator(client: RunnerClient): Promise<string> {
  const { tarGz } = await bundleEnv(CALCULATOR);
  return (await client.uploadEnvironment(tarGz, "calculator")).sha256;
}
