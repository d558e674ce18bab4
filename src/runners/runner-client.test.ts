// The extension's runner client and event subscription against a real `agentrl serve` on loopback
// (real store, real Docker sandboxes), exactly as the embedded runner is started by the extension.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunEvent } from "@agentrl/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleEnv } from "../../remote-runner/src/envs/bundle";
import { EventSubscription } from "./event-subscription";
import { RunnerClient, RunnerError } from "../../remote-runner/src/api/client";

const root = path.resolve(__dirname, "../..");
let child: ChildProcess;
let client: RunnerClient;
let home: string;
const token = "test-token-0123456789abcdef";

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-ext-client-"));
  child = spawn(process.execPath, [path.join(root, "remote-runner/dist/cli.js"), "serve", "--host", "127.0.0.1", "--port", "0", "--quiet"], { env: { ...process.env, AGENTRL_HOME: home, AGENTRL_TOKEN: token }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += String(d);
      const m = /\{"ready":true,"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`agentrl serve exited with ${code}`)));
  });
  client = new RunnerClient(url, token);
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(home, { recursive: true, force: true });
});

describe("RunnerClient against agentrl serve", () => {
  it("uploads the calculator env, runs a group of 4 and follows it over the event stream to the end", async () => {
    const { tarGz } = await bundleEnv(path.join(root, "examples/calculator"));
    const env = await client.uploadEnvironment(tarGz, "calculator");
    expect(env.sha256).toMatch(/^[0-9a-f]{64}$/);
    const run = await client.createRun({ env: env.sha256, policy: { spec: "scripted:reference.jsonl" }, tasks: 1, group: 4, concurrency: 4 });
    const events: RunEvent[] = [];
    const finished = new Promise<void>((resolve) => {
      const sub = new EventSubscription(
        client,
        (e) => {
          events.push(e);
          if (e.type === "run.status" && e.data.status === "finished") {
            sub.dispose();
            resolve();
          }
        },
        { runId: run.id },
      );
    });
    await finished;
    expect(events.filter((e) => e.type === "trajectory.finished")).toHaveLength(4);
    const seqs = events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const page = await client.trajectories(run.id, { limit: 2, offset: 2 });
    expect(page.total).toBe(4);
    expect(page.items).toHaveLength(2);
    const t = await client.trajectory(page.items[0]!.id);
    expect(t.turns[0]!.assistant.toolCalls?.[0]?.name).toBe("calculate");
    expect(t.turns[0]!.observations[0]!.content).toContain("1104");
    const search = await client.trajectories(run.id, { text: "92 * 12" });
    expect(search.total).toBe(4);
    expect((await client.listRuns()).items.map((r) => r.id)).toContain(run.id);
  });

  it("turns refusals into errors that name the fix", async () => {
    const bad = new RunnerClient(client.baseUrl, "wrong-token-0123456789");
    await expect(bad.listRuns()).rejects.toBeInstanceOf(RunnerError);
    await expect(client.getRun("run-nope")).rejects.toThrow(/run/i);
    const dead = new RunnerClient("http://127.0.0.1:9", token);
    await expect(dead.health()).rejects.toThrow(/cannot reach the runner at .*Fix: start it/);
  });
});
