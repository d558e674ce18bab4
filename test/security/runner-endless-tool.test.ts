// Attack: environment code the runner executes loops forever (a tool's run), reads the runner's
// secrets from process.env, or opens sockets. Bundle code used to run on the runner's main thread:
// one endless tool froze every run, the API and the event stream, and the runner ignored SIGTERM.
// Now it runs in the env host's own process: the loop is a named tool timeout (the process is
// stopped and replaced), the API and other runs carry on, and SIGTERM ends the runner promptly.
import fs from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Trajectory } from "@agentrl/protocol";
import { RunnerClient } from "../../remote-runner/src/api/client.js";
import { bundleIsolation } from "../../remote-runner/src/bundle/spawn.js";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { stopServes } from "../api/serve-process.js";
import { tempDir, writeFiles } from "../rollout/support.js";
import { buildCli, ended, memoryMiB, percentile, probeHealth, startRunnerProcess, TOKEN, type TestRunner } from "./support.js";

const OPENAI_KEY = "sk-endless-tool-must-not-see";
/** Generous on a shared 2-core machine (the goal, 100 ms, is reported); the frozen runner never answered at all. */
const HEALTH_P99_BOUND_MS = 1000;
const SPIN_LIMIT_MS = 4000;

let runner: TestRunner;
let client: RunnerClient;
let listener: net.Server;
let connections = 0;
let envSha: string;

beforeAll(async () => {
  buildCli();
  listener = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const port = (listener.address() as net.AddressInfo).port;
  const connect = `new Promise<string>((resolve) => { try { const s = net.connect(${port}, "127.0.0.1"); s.on("connect", () => { s.destroy(); resolve("connected"); }); s.on("error", (e) => resolve("refused " + String((e as { code?: string }).code))); } catch (e) { resolve("refused " + String((e as { code?: string }).code)); } })`;
  const dir = writeFiles(tempDir("endless"), {
    "env.ts": `import { defineEnvironment, defineReward, defineTool } from "@agentrl/sdk";
import net from "node:net";
import os from "node:os";
export default defineEnvironment({
  name: "endless",
  maxTurns: 3,
  // Bundle code reading the runner's environment: whatever it sees ends up in the prompt.
  prompt: (task) => task.prompt + " ENV=" + JSON.stringify(process.env),
  tools: [
    defineTool({ name: "spin", description: "loops forever", parameters: { type: "object", properties: {} }, timeoutMs: ${SPIN_LIMIT_MS}, run: () => { for (;;) {} } }),
    defineTool({ name: "dial", description: "opens a socket to a local listener", parameters: { type: "object", properties: {} }, run: async () => (await ${connect}) + " interfaces=" + JSON.stringify(Object.keys(os.networkInterfaces())) + " ppid=" + process.ppid }),
  ],
  rewards: [defineReward({ name: "offline", score: async () => ((await ${connect}) === "connected" ? 0 : 1) })],
});`,
    "tasks.jsonl": '{"id":"spin","prompt":"spin"}\n{"id":"dial","prompt":"dial"}\n',
    "spin.jsonl": '{"task_id":"*","turns":[{"tool_calls":[{"name":"spin","arguments":{}}]}]}\n',
    "dial.jsonl": '{"task_id":"*","turns":[{"tool_calls":[{"name":"dial","arguments":{}}]},{"content":"done"}]}\n',
  });
  runner = await startRunnerProcess({ OPENAI_API_KEY: OPENAI_KEY });
  client = new RunnerClient(runner.url, TOKEN);
  envSha = (await client.uploadEnvironment((await bundleEnv(dir)).tarGz, "endless")).sha256;
}, 180_000);

afterAll(async () => {
  await stopServes(runner ? [runner] : []);
  await new Promise((r) => listener?.close(r));
});

/** Resolves once the run's episode is inside the tool (the live-episodes API says so): a condition, not a timing guess. */
async function inTool(runId: string, tool: string): Promise<void> {
  for (;;) {
    const live = await client.liveEpisodes(runId);
    if (live.episodes.some((e) => e.phase === "tool" && e.detail === tool)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function onlyTrajectory(runId: string): Promise<Trajectory> {
  const page = await client.trajectories(runId);
  expect(page.items).toHaveLength(1);
  return client.trajectory((page.items[0] as { id: string }).id);
}

/** Processes whose parent is `pid` (from /proc). */
function children(pid: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("environment code in its own process", () => {
  it("a tool that loops forever is a named tool timeout; the API answers, another run finishes, RSS stays flat", async () => {
    const rss0 = memoryMiB(runner.pid).now;
    const spin = await client.createRun({ env: envSha, policy: { spec: "scripted:spin.jsonl" }, tasks: 1, group: 1, concurrency: 1 });
    await inTool(spin.id, "spin");
    const probe = probeHealth(runner.url);
    let rssPeak = rss0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, memoryMiB(runner.pid).now)), 50);
    // Another run, started while the tool loops: it dials out (refused) and finishes.
    const dial = await client.createRun({ env: envSha, policy: { spec: "scripted:dial.jsonl" }, group: 1, concurrency: 1, taskIds: ["dial"] });
    const dialRun = await ended(client, dial.id);
    const spinRunningWhenDialEnded = (await client.getRun(spin.id)).status === "running";
    const spinRun = await ended(client, spin.id);
    clearInterval(sampler);
    const lat = await probe.stop();
    const p99 = percentile(lat, 99);
    console.log(`endless tool: /v1/health p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${lat.length} probes; runner RSS ${rss0.toFixed(0)} → peak ${rssPeak.toFixed(0)} MiB; other run finished while the tool looped: ${spinRunningWhenDialEnded}`);
    expect(lat.length).toBeGreaterThan(10);
    expect(p99).toBeLessThan(HEALTH_P99_BOUND_MS);
    expect(rssPeak - rss0).toBeLessThan(100);

    expect(spinRun.status).toBe("finished");
    const t = await onlyTrajectory(spin.id);
    expect(t.status).toBe("env_error");
    expect(t.error?.kind).toBe("environment");
    expect(t.error?.message).toContain(`tool "spin" did not finish within ${SPIN_LIMIT_MS + 2000} ms`);
    expect(t.error?.message).toMatch(/Fix: make the tool's run function return within its time limit/);

    // The other run: its tool could not open a socket, nor could its reward; the listener saw nobody.
    expect(dialRun.status).toBe("finished");
    const d = await onlyTrajectory(dial.id);
    expect(d.status).toBe("finished");
    const dialled = d.turns[0]?.observations[0]?.content ?? "";
    expect(dialled).toMatch(/^refused ERR_AGENTRL_NO_NETWORK/);
    // Below the in-process refusal: the network namespace (where this user may make one) has no interface up at all.
    console.log(`endless tool: network namespace ${bundleIsolation().networkNamespace ? "on" : "off (no rights)"}, PID namespace ${bundleIsolation().pidNamespace ? "on" : "off"}; the tool saw ${dialled}`);
    if (bundleIsolation().networkNamespace) expect(dialled).toContain("interfaces=[]");
    // In a PID namespace of its own the runner is not even nameable: no parent is visible.
    if (bundleIsolation().pidNamespace) expect(dialled).toMatch(/ ppid=0$/);
    expect(d.reward.total).toBe(1);
    expect(connections).toBe(0);

    // Bundle code reading process.env saw none of the runner's secrets.
    const prompt = JSON.stringify(t.prompt);
    expect(prompt).toContain("ENV=");
    for (const secret of [TOKEN, OPENAI_KEY, runner.home]) expect(prompt).not.toContain(secret);
  }, 180_000);

  it("SIGTERM ends the runner promptly while a tool loops, and the looping process goes with it", async () => {
    const spin = await client.createRun({ env: envSha, policy: { spec: "scripted:spin.jsonl" }, tasks: 1, group: 1, concurrency: 1 });
    await inTool(spin.id, "spin");
    const spawned = children(runner.pid).flatMap((c) => [c, ...children(c)]);
    expect(spawned.length).toBeGreaterThan(0);
    const t0 = performance.now();
    runner.child.kill("SIGTERM");
    expect(await runner.exited).toBe("0");
    const stopMs = performance.now() - t0;
    console.log(`endless tool: SIGTERM to exit ${stopMs.toFixed(0)} ms`);
    expect(stopMs).toBeLessThan(SPIN_LIMIT_MS);
    // Nothing the runner started keeps a core busy after it (the kernel's parent-death signal, or the close).
    for (const pid of spawned) {
      for (let i = 0; fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z "); i++) {
        expect(i, `process ${pid} outlived the runner`).toBeLessThan(100);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }, 120_000);
});
