// Attack: reward code (bundle code the runner executes) reads the runner's secrets, its store or
// token file, starts processes, opens sockets, or loops forever. Rewards run in a separate process
// that gets none of it and is killed at its time limit. The network and signals are checked here
// without the namespaces (AGENTRL_BUNDLE_NETNS=off): the in-process refusals alone must hold.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxHandle } from "@agentrl/sdk";
import { loadEnvironment, type LoadedEnvironment } from "../../remote-runner/src/envs/load.js";
import { RewardTimeoutError, RewardWorkerPool } from "../../remote-runner/src/rewards/worker-pool.js";
import { tempDir, useTempHome, writeFiles } from "../rollout/support.js";

const SECRETS = { AGENTRL_TOKEN: "tok-reward-must-not-see", OPENAI_API_KEY: "sk-reward-must-not-see", DOCKER_HOST: "unix:///reward-must-not-see.sock" };

const sandbox: SandboxHandle = {
  exec: () => Promise.reject(new Error("no sandbox in this test")),
  readFile: () => Promise.reject(new Error("no sandbox in this test")),
  writeFile: () => Promise.reject(new Error("no sandbox in this test")),
};

let env: LoadedEnvironment;
let listener: net.Server;
let unixListener: net.Server;
let connections = 0;
let home: string;
let pool: RewardWorkerPool;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  home = useTempHome();
  process.env.AGENTRL_BUNDLE_NETNS = "off";
  listener = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const port = (listener.address() as net.AddressInfo).port;
  // A unix socket like the Docker daemon's: a network namespace does not cover these; the in-process refusal must.
  const socketPath = path.join(home, "docker-like.sock");
  unixListener = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => unixListener.listen(socketPath, r));
  fs.writeFileSync(path.join(home, "token"), "the-runner-token-file\n", { mode: 0o600 });
  for (const [k, v] of Object.entries(SECRETS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const dir = writeFiles(tempDir("reach"), {
    "env.ts": `import { defineEnvironment, defineReward } from "@agentrl/sdk";
import fs from "node:fs";
import cp from "node:child_process";
import net from "node:net";
import dns from "node:dns";
function attempt(f: () => unknown): string { try { return "got " + String(f()); } catch (e) { return "denied " + String((e as { code?: string }).code ?? e); } }
export default defineEnvironment({
  name: "reach",
  rewards: [
    defineReward({ name: "env", score: () => { throw new Error(JSON.stringify(process.env)); } }),
    defineReward({ name: "token", score: () => { throw new Error(attempt(() => fs.readFileSync(${JSON.stringify(path.join(home, "token"))}, "utf8"))); } }),
    defineReward({ name: "write", score: () => { throw new Error(attempt(() => fs.writeFileSync(${JSON.stringify(path.join(home, "planted"))}, "x"))); } }),
    defineReward({ name: "spawn", score: () => { throw new Error(attempt(() => cp.execSync("id"))); } }),
    defineReward({ name: "loop", score: () => { for (;;) {} } }),
    defineReward({ name: "dial", score: () => new Promise((_, reject) => { try { const s = net.connect(${port}, "127.0.0.1"); s.on("connect", () => reject(new Error("connected"))); s.on("error", (e) => reject(new Error("denied " + String((e as { code?: string }).code)))); } catch (e) { reject(new Error("denied " + String((e as { code?: string }).code))); } }) }),
    defineReward({ name: "unix", score: () => new Promise((_, reject) => { try { const s = net.connect(${JSON.stringify(socketPath)}); s.on("connect", () => reject(new Error("connected"))); s.on("error", (e) => reject(new Error("denied " + String((e as { code?: string }).code)))); } catch (e) { reject(new Error("denied " + String((e as { code?: string }).code))); } }) }),
    defineReward({ name: "signal", score: () => { throw new Error([process.ppid, 0, -1].map((pid) => attempt(() => process.kill(pid, 0))).join(" ")); } }),
    defineReward({ name: "listen", score: () => { throw new Error(attempt(() => net.createServer().listen(0))); } }),
    defineReward({ name: "dns", score: () => { throw new Error(attempt(() => dns.lookup("example.com", () => {}))); } }),
    defineReward({ name: "fetch", score: async () => { try { await fetch("http://127.0.0.1:${port}/"); return 1; } catch (e) { throw new Error("denied " + String((e as { cause?: { code?: string } }).cause?.code)); } } }),
    defineReward({ name: "fine", score: () => 1 }),
  ],
});`,
    "tasks.jsonl": '{"id":"t1","prompt":"x"}\n',
  });
  env = await loadEnvironment(dir, { git: false });
  pool = new RewardWorkerPool(env.compiled.bundlePath, 2);
}, 120_000);
afterAll(async () => {
  await pool.close();
  await new Promise((r) => listener.close(r));
  await new Promise((r) => unixListener.close(r));
  delete process.env.AGENTRL_BUNDLE_NETNS;
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const run = (name: string, timeoutMs = 20_000): Promise<unknown> => pool.run(name, { task: { id: "t1" } }, sandbox, timeoutMs).then(
  (v) => v,
  (e: Error) => e,
);

describe("reward code", () => {
  it("does not see the runner's secrets in its environment", async () => {
    const seen = String((await run("env")) as Error);
    for (const v of Object.values(SECRETS)) expect(seen).not.toContain(v);
    expect(seen).not.toContain("AGENTRL_HOME");
  });

  it("cannot read the token file or the store, write files, or start processes", async () => {
    expect(String(await run("token"))).toContain("denied ERR_ACCESS_DENIED");
    expect(String(await run("write"))).toContain("denied ERR_ACCESS_DENIED");
    expect(fs.existsSync(path.join(home, "planted"))).toBe(false);
    expect(String(await run("spawn"))).toContain("denied ERR_ACCESS_DENIED");
  });

  it("cannot open a socket (TCP, or a unix socket like Docker's), listen, resolve names or fetch, even without the network namespace", async () => {
    for (const name of ["dial", "unix", "listen", "dns", "fetch"]) expect(String(await run(name)), name).toContain("denied ERR_AGENTRL_NO_NETWORK");
    expect(connections).toBe(0);
  });

  it("cannot signal the runner or a process group (kill ppid, 0, -1), even without the PID namespace", async () => {
    expect(String(await run("signal"))).toMatch(/: denied ERR_AGENTRL_NO_SIGNAL denied ERR_AGENTRL_NO_SIGNAL denied ERR_AGENTRL_NO_SIGNAL$/);
  });

  it("that loops forever is a reward timeout; its process is killed and the next reward still scores", async () => {
    const err = await run("loop", 1_000);
    expect(err).toBeInstanceOf(RewardTimeoutError);
    expect(String(err)).toContain('reward "loop" did not finish within 1000 ms');
    expect(await run("fine")).toBe(1);
  });
});
