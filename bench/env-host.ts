/**
 * What moving bundle code out of the runner process costs: a `run` tool call through the env
 * host's process (IPC, structured clone) beside the same function called in-process (how tools ran
 * before), alternated round by round in one run; plus opening an episode there (initState, prompt)
 * and a cold start (spawn, permission model, namespace, import). The in-process import here is the
 * baseline only; the runner never imports bundles.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { SandboxHandle } from "@agentrl/sdk";
import { bundleIsolation } from "../remote-runner/src/bundle/spawn.js";
import { EnvHost } from "../remote-runner/src/envs/host.js";
import { loadEnvironment } from "../remote-runner/src/envs/load.js";
import { summarize, timeEach, type Summary } from "./stats.js";

export interface EnvHostCost {
  rounds: number;
  isolation: { networkNamespace: boolean; diesWithRunner: boolean };
  tool_call_us: { host: Summary; in_process: Summary };
  /** host p50 ÷ in-process p50 per round. */
  tool_call_ratio: { p50: number; min: number; max: number };
  open_episode_ms: Summary;
  cold_start_ms: Summary;
}

const ENV = `import { defineEnvironment, defineReward, defineTool } from "@agentrl/sdk";
export default defineEnvironment({
  name: "bench-env-host",
  initState: () => ({ calls: 0 }),
  prompt: (task) => String(task.prompt),
  tools: [defineTool({ name: "echo", description: "echo", parameters: { type: "object", properties: { text: { type: "string" } } }, run: (args, ctx) => { ctx.state.calls++; return String(args.text) + ctx.state.calls; } })],
  rewards: [defineReward({ name: "r", score: () => 1 })],
});`;

const noSandbox: SandboxHandle = {
  exec: () => Promise.reject(new Error("no sandbox in this bench")),
  readFile: () => Promise.reject(new Error("no sandbox in this bench")),
  writeFile: () => Promise.reject(new Error("no sandbox in this bench")),
};

type EchoTool = { run(args: unknown, ctx: unknown): unknown };

export async function runEnvHostCost(opts: { rounds: number; calls: number; log?: (l: string) => void }): Promise<EnvHostCost> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-bench-host-"));
  fs.writeFileSync(path.join(dir, "env.ts"), ENV);
  fs.writeFileSync(path.join(dir, "tasks.jsonl"), '{"id":"t1","prompt":"hi"}\n');
  const env = await loadEnvironment(dir, { git: false });
  const mod = (await import(pathToFileURL(env.compiled.bundlePath).href)) as { default: { initState(): unknown; tools: EchoTool[] } };
  const echo = mod.default.tools[0] as EchoTool;
  const task = { id: "t1", prompt: "hi" };
  const signal = new AbortController().signal;
  const host: number[] = [];
  const local: number[] = [];
  const ratios: number[] = [];
  const open: number[] = [];
  try {
    for (let r = 0; r < opts.rounds; r++) {
      let episode = await env.host.openEpisode(task, 10_000);
      open.push(...(await timeEach(5, async () => {
        episode.close();
        episode = await env.host.openEpisode(task, 10_000);
      })));
      const viaHost = (await timeEach(opts.calls, () => episode.tool("echo", { text: "x" }, { sandbox: noSandbox, turn: 0, signal, kill: signal }))).map((ms) => ms * 1000);
      episode.close();
      const state = mod.default.initState();
      const inProcess = (await timeEach(opts.calls, async () => echo.run({ text: "x" }, { task, state, sandbox: noSandbox, turn: 0, signal }))).map((ms) => ms * 1000);
      host.push(...viaHost);
      local.push(...inProcess);
      ratios.push(summarize(viaHost).p50 / Math.max(summarize(inProcess).p50, 0.01));
      opts.log?.(`round ${r + 1}/${opts.rounds}: tool call p50 ${summarize(viaHost).p50} µs via the host, ${summarize(inProcess).p50} µs in-process`);
    }
    const cold = await timeEach(Math.max(3, opts.rounds), async () => {
      const fresh = new EnvHost(env.compiled.bundlePath);
      await fresh.describe();
      await fresh.close();
    });
    const sorted = [...ratios].sort((a, b) => a - b);
    const round1 = (x: number): number => Math.round(x * 10) / 10;
    const iso = bundleIsolation();
    return {
      rounds: opts.rounds,
      isolation: { networkNamespace: iso.networkNamespace, diesWithRunner: iso.diesWithRunner },
      tool_call_us: { host: summarize(host), in_process: summarize(local) },
      tool_call_ratio: { p50: round1(sorted[Math.floor(sorted.length / 2)] ?? NaN), min: round1(sorted[0] ?? NaN), max: round1(sorted.at(-1) ?? NaN) },
      open_episode_ms: summarize(open),
      cold_start_ms: summarize(cold),
    };
  } finally {
    await env.host.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
