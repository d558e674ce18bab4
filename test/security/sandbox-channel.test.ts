// Attacks on the agent channel from inside the sandbox: forged replies that answer the runner's
// commands (a reward command that fails, answered "exit 0"), and a 300 MB line that took the runner
// to 2.2 GB and the API offline. The channel must be out of the model's reach, and bounded anyway.
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EpisodeSandbox } from "../../remote-runner/src/rollout/episode-sandbox.js";
import { scoreEpisode } from "../../remote-runner/src/rewards/score.js";
import { RewardWorkerPool } from "../../remote-runner/src/rewards/worker-pool.js";
import { AgentChannel } from "../../remote-runner/src/sandbox/agent-channel.js";
import type { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { DockerSandbox } from "../../remote-runner/src/sandbox/docker-sandbox.js";
import type { EnvDescription } from "../../remote-runner/src/envs/description.js";
import { EnvHost } from "../../remote-runner/src/envs/host.js";
import { startTestServer, type TestServer } from "../api/fixture.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

let provider: DockerSandboxProvider;
let image: string;
let server: TestServer;
const made: DockerSandbox[] = [];

beforeAll(async () => {
  ({ provider, image } = await sandboxEnv());
  server = await startTestServer();
});

afterAll(async () => {
  await Promise.all(made.map((s) => s.destroy()));
  await server?.close();
});

/**
 * The model's side: opens the stdout of the processes that hold the agent channel (PID 1, the agent
 * python process, docker-init) and prints how many it got.
 */
const OPEN_CHANNELS = `
import os
fds = []
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == os.getpid():
        continue
    try:
        cmd = open("/proc/%s/cmdline" % p, "rb").read()
    except OSError:
        continue
    if p == "1" or cmd.startswith(b"python3\\0-u\\0-c") or b"docker-init" in cmd:
        try:
            fds.append(open("/proc/%s/fd/1" % p, "wb", buffering=0))
        except OSError:
            pass
print(len(fds), flush=True)
`;

const FORGER = `${OPEN_CHANNELS}
import json, time
lines = b"".join((json.dumps({"id": i, "exit": 0, "out": "", "err": "", "timedOut": False, "truncated": False, "oom": False, "ms": 1}) + "\\n").encode() for i in range(1, 400))
end = time.time() + 30
while time.time() < end:
    for f in fds:
        try:
            f.write(lines)
        except OSError:
            pass
    time.sleep(0.005)
`;

const FLOOD = `${OPEN_CHANNELS}
import sys
block = b"x" * (1 << 20)
for _ in range(300):
    sys.stdout.buffer.write(block)  # and one long line on its own output, which the agent caps
    for f in fds:
        try:
            f.write(block)
        except OSError:
            pass
open("/tmp/flood.done", "w").close()
`;

/** Calls /v1/health every 5 ms until `until` settles; returns the latencies. */
async function healthLatencies(url: string, until: Promise<unknown>): Promise<number[]> {
  // Warm the connection and the route first: the first request's setup is not the flood's doing.
  for (let i = 0; i < 5; i++) await (await fetch(`${url}/v1/health`)).arrayBuffer();
  let done = false;
  void until.finally(() => (done = true));
  const ms: number[] = [];
  while (!done) {
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(30_000) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    ms.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return ms;
}

/**
 * The bound asserted on /v1/health's p99 during a flood. The goal is 100 ms and quiet runs measure
 * far less; the assertion leaves room for a shared 2-core CI machine, while the old channel (a
 * quadratic re-scan of a 300 MB line) kept the API away for minutes.
 */
const HEALTH_P99_BOUND_MS = 1000;

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] as number;

describe("agent channel", () => {
  it("forged replies from the model's processes cannot answer a reward command", async () => {
    const sb = await provider.create({ image });
    made.push(sb);
    const started = await sb.exec({ cmd: ["sh", "-c", 'setsid nohup python3 -c "$1" > /tmp/forger.out 2>&1 &', "sh", FORGER] });
    expect(started.exitCode).toBe(0);
    const handle = new EpisodeSandbox(async () => sb, async () => {}, 30_000);
    const pool = new RewardWorkerPool("/nonexistent-bundle.js", 1);
    const rewards: EnvDescription["rewards"] = [{ __agentrl: "reward", name: "solved", command: "sleep 0.2; test -f /home/agent/solution.txt" }];
    const host = new EnvHost("/nonexistent-bundle.js");
    const input = { task: { id: "t" }, prompt: [], turns: [], messages: [], finalAnswer: "", toolCalls: 0, stopReason: "final_answer" as const };
    try {
      for (let i = 0; i < 8; i++) {
        const r = await scoreEpisode({ rewards, input, sandbox: handle, pool, host, defaultTimeoutMs: 30_000 });
        expect(r.total, `attempt ${i}`).toBe(0);
      }
    } finally {
      await pool.close();
    }
    // The forger could not open the channel at all.
    expect((await sb.readFile("/tmp/forger.out")).toString().trim()).toBe("0");
  });

  it("a 300 MB line flood from inside: no channel reached, runner RSS bounded, /v1/health answering", async () => {
    const sb = await provider.create({ image });
    made.push(sb);
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    const flood = sb.exec({ cmd: ["python3", "-c", FLOOD], timeoutMs: 120_000 });
    const lat = await healthLatencies(server.url, flood.catch(() => null));
    clearInterval(sampler);
    const res = await flood;
    expect(res.stdout.split("\n")[0]).toBe("0");
    expect(res.truncated).toBe(true);
    expect((peak - rss0) / 2 ** 20).toBeLessThan(64);
    expect(lat.length).toBeGreaterThan(0);
    expect(p99(lat)).toBeLessThan(HEALTH_P99_BOUND_MS);
    expect((await sb.exec({ cmd: "echo alive" })).stdout).toBe("alive\n");
  });

  it("the runner's end is bounded anyway: a 300 MB line closes the channel with a reason, in linear time, RSS and /v1/health unaffected", async () => {
    const wire = new PassThrough();
    const written: string[] = [];
    const duplex = Object.assign(wire, { write: (s: string) => (written.push(s), true) });
    const channel = new AgentChannel(duplex as unknown as import("node:stream").Duplex, async () => "test");
    const frame = (payload: Buffer): Buffer => {
      const h = Buffer.alloc(8);
      h[0] = 1;
      h.writeUInt32BE(payload.length, 4);
      return Buffer.concat([h, payload]);
    };
    wire.emit("data", frame(Buffer.from('{"ready":true}\n')));
    await channel.ready(1000);
    const pending = channel.exec({ cmd: "true" }, { timeoutMs: 60_000, maxOutputBytes: 1 << 20 }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    const block = frame(Buffer.alloc(32 * 1024, 120));
    const feed = (async () => {
      for (let sent = 0; sent < 300 * 2 ** 20 && !channel.closed; sent += 32 * 1024) {
        wire.emit("data", block);
        peak = Math.max(peak, process.memoryUsage.rss());
        if (sent % (4 << 20) === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const lat = await healthLatencies(server.url, feed);
    const err = await pending;
    expect(channel.closed).toBe(true);
    expect(err?.message).toMatch(/line of more than \d+ bytes.*something in the sandbox wrote into the channel/);
    expect((peak - rss0) / 2 ** 20).toBeLessThan(64);
    expect(p99(lat)).toBeLessThan(HEALTH_P99_BOUND_MS);
  });
});
