// Attack: a token holder names a policy URL of their own to collect the runner's OPENAI_API_KEY,
// or reads back a policy apiKey another caller sent (GET /v1/runs, the store, the webview).
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDACTED_SECRET, type RunList, type TrajectoryPage } from "@agentrl/protocol";
import { RunnerClient } from "../../remote-runner/src/api/client.js";
import { uploadCalculator } from "../api/runner-fixture.js";
import { stopServes } from "../api/serve-process.js";
import { buildCli, ended, startRunnerProcess, TOKEN, type TestRunner } from "./support.js";

const OWN_KEY = "sk-runner-own-key-never-leaves";
const RUN_KEY = "sk-callers-run-key-not-stored";

/** An OpenAI-compatible server that answers "done" and records the Authorization header of each request. */
async function startRecorder(): Promise<{ url: string; auth: string[]; close(): Promise<void> }> {
  const auth: string[] = [];
  const server = http.createServer((req, res) => {
    auth.push(req.headers.authorization ?? "");
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ model: "m", choices: [{ message: { role: "assistant", content: "done" }, finish_reason: "stop" }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    auth,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const runners: TestRunner[] = [];
let recorder: Awaited<ReturnType<typeof startRecorder>>;

beforeAll(async () => {
  buildCli();
  recorder = await startRecorder();
});
afterAll(async () => {
  await stopServes(runners);
  await recorder.close();
  for (const r of runners) fs.rmSync(r.home, { recursive: true, force: true });
});

describe("the runner's own policy key and a run's apiKey", () => {
  it("are not sent to a host outside --policy-allow, not stored, not returned", async () => {
    const runner = await startRunnerProcess({ OPENAI_API_KEY: OWN_KEY });
    runners.push(runner);
    const client = new RunnerClient(runner.url, TOKEN);
    const sha = await uploadCalculator(client);

    // A caller points the runner at its own server: the runner's key must not go there.
    const foreign = await client.createRun({ env: sha, policy: { spec: recorder.url, retries: 0 }, tasks: 1, group: 1, concurrency: 1 });
    await ended(client, foreign.id);
    expect(recorder.auth.length).toBeGreaterThan(0);
    expect(recorder.auth.join("\n")).not.toContain(OWN_KEY);

    // A caller's own key is used for its run, and never comes back.
    const n = recorder.auth.length;
    const own = await client.createRun({ env: sha, policy: { spec: recorder.url, apiKey: RUN_KEY, retries: 0 }, tasks: 1, group: 1, concurrency: 1 });
    expect(own.config.policy.apiKey).toBe(REDACTED_SECRET);
    await ended(client, own.id);
    expect(recorder.auth.slice(n)).toContain(`Bearer ${RUN_KEY}`);
    const listed = await client.json<RunList>("GET", "/v1/runs");
    const one = await client.getRun(own.id);
    const page = await client.json<TrajectoryPage>("GET", `/v1/runs/${own.id}/trajectories`);
    const trajectory = await client.json<unknown>("GET", `/v1/trajectories/${page.items[0]?.id}`);
    for (const answer of [listed, one, trajectory]) expect(JSON.stringify(answer)).not.toContain(RUN_KEY);
    expect(one.config.policy.apiKey).toBe(REDACTED_SECRET);
    // Nor on disk: the store and its write-ahead log.
    for (const f of fs.readdirSync(runner.home).filter((x) => x.startsWith("store.db"))) {
      expect(fs.readFileSync(path.join(runner.home, f)).includes(RUN_KEY)).toBe(false);
    }
  }, 240_000);

  it("is sent to a host the operator allowed", async () => {
    const runner = await startRunnerProcess({ OPENAI_API_KEY: OWN_KEY }, ["--policy-allow", "127.0.0.1"]);
    runners.push(runner);
    const client = new RunnerClient(runner.url, TOKEN);
    const sha = await uploadCalculator(client);
    const n = recorder.auth.length;
    const run = await client.createRun({ env: sha, policy: { spec: recorder.url, retries: 0 }, tasks: 1, group: 1, concurrency: 1 });
    await ended(client, run.id);
    expect(recorder.auth.slice(n)).toContain(`Bearer ${OWN_KEY}`);
  }, 240_000);
});
