// The env host's process is shared by an environment's episodes. A tool that loops forever in one
// episode is stopped with that process: the episode gets a named tool timeout, the others whose
// state went with it are told so (the engine retries them as infrastructure failures, not their
// fault), and the next episode gets a fresh process. A tool that ends its process is a named
// environment error. No Docker, no runner: the host alone, driven as the engine drives it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxHandle } from "@agentrl/sdk";
import { BundleProcess, BundleProcessLost, BundleTimeoutError } from "../../remote-runner/src/bundle/process.js";
import { EnvCodeError, EnvHostReplaced } from "../../remote-runner/src/envs/host.js";
import { loadEnvironment, type LoadedEnvironment } from "../../remote-runner/src/envs/load.js";
import { tempDir, useTempHome, writeFiles } from "../rollout/support.js";

const sandbox: SandboxHandle = {
  exec: () => Promise.reject(new Error("no sandbox in this test")),
  readFile: () => Promise.reject(new Error("no sandbox in this test")),
  writeFile: () => Promise.reject(new Error("no sandbox in this test")),
};

let env: LoadedEnvironment;
beforeAll(async () => {
  useTempHome();
  const dir = writeFiles(tempDir("host"), {
    "env.ts": `import { defineEnvironment, defineReward, defineTool } from "@agentrl/sdk";
const tool = (name: string, run: (args: Record<string, unknown>, ctx: { state: { n: number } }) => unknown) => defineTool({ name, description: name, parameters: { type: "object", properties: {} }, run: run as never });
export default defineEnvironment({
  name: "host",
  initState: () => ({ n: 0 }),
  tools: [
    tool("count", (_, ctx) => String(++ctx.state.n)),
    tool("spin", () => { for (;;) {} }),
    tool("wait", () => new Promise(() => {})),
    tool("exit", () => process.exit(3)),
  ],
  rewards: [defineReward({ name: "r", score: () => 1 }), defineReward({ name: "spin", score: () => { for (;;) {} } })],
});`,
    "tasks.jsonl": '{"id":"t1","prompt":"x"}\n',
  });
  env = await loadEnvironment(dir, { git: false });
}, 120_000);
afterAll(async () => {
  await env?.host.close();
});

const task = { id: "t1", prompt: "x" };
const call = (ep: Awaited<ReturnType<LoadedEnvironment["host"]["openEpisode"]>>, name: string, kill = new AbortController().signal): Promise<unknown> =>
  ep.tool(name, {}, { sandbox, turn: 0, signal: new AbortController().signal, kill }).catch((e: unknown) => e);

describe("the env host", () => {
  it("keeps each episode's state; a looping tool is a named timeout, other episodes in that process are told their state is gone, the next episode gets a fresh process", async () => {
    const a = await env.host.openEpisode(task, 10_000);
    const b = await env.host.openEpisode(task, 10_000);
    expect([await call(a, "count"), await call(a, "count"), await call(b, "count")]).toEqual(["1", "2", "1"]);
    const waiting = call(b, "wait");
    const limit = new AbortController();
    const spinning = call(a, "spin", limit.signal);
    limit.abort('tool "spin" did not finish within 1000 ms');
    const spun = await spinning;
    expect(spun).toBeInstanceOf(EnvCodeError);
    expect((spun as EnvCodeError).timeout).toBe(true);
    expect(String(spun)).toMatch(/tool "spin" did not finish within 1000 ms: the environment's process running it was stopped and replaced\. Fix: make the tool's run function return/);
    expect(await waiting).toBeInstanceOf(EnvHostReplaced);
    expect(await call(b, "count")).toBeInstanceOf(EnvHostReplaced);
    a.close();
    b.close();
    const c = await env.host.openEpisode(task, 10_000);
    expect(await call(c, "count")).toBe("1");
    c.close();
  });

  it("a tool that ends its process is a named environment error; the next episode gets a fresh process", async () => {
    const a = await env.host.openEpisode(task, 10_000);
    const exited = await call(a, "exit");
    expect(exited).toBeInstanceOf(EnvCodeError);
    expect(String(exited)).toMatch(/the bundle process ended \(exit code 3\) while running tool "exit"\. Fix: environment code must not end its process/);
    a.close();
    const b = await env.host.openEpisode(task, 10_000);
    expect(await call(b, "count")).toBe("1");
    b.close();
  });

  it("a call queued behind busy code waits for that code's own limit, not the load limit (it is not a load error)", async () => {
    const p = new BundleProcess(env.compiled.bundlePath, undefined, 300);
    try {
      await p.call("describe", {}, { what: "describe", timeoutMs: 10_000 });
      const spinning = p.call("score", { reward: "spin", ctx: {} }, { what: 'reward "spin"', timeoutMs: 1_500 }).catch((e: unknown) => e);
      const queued = p.call("describe", {}, { what: "a queued describe", timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(await spinning).toBeInstanceOf(BundleTimeoutError);
      const q = await queued;
      expect(q).toBeInstanceOf(BundleProcessLost);
      expect((q as BundleProcessLost).byRunner).toBe(true);
    } finally {
      p.kill("test over");
      await p.whenExited();
    }
  });
});
