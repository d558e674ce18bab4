// Attack: a policy server answers one chat request with 450 MB (streamed as one endless SSE line,
// and as one endless JSON body). The runner must stop reading at its cap, record a policy error
// that names the cap, keep its memory bounded and keep answering /v1/health.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrajectoryPage } from "@agentrl/protocol";
import { RunnerClient } from "../../remote-runner/src/api/client.js";
import { DEFAULT_POLICY_LIMITS } from "../../remote-runner/src/policy/openai.js";
import { uploadCalculator } from "../api/runner-fixture.js";
import { stopServes } from "../api/serve-process.js";
import { buildCli, ended, FROZEN_MS, idleHealth, memoryMiB, percentile, probeHealth, startRunnerProcess, TOKEN, type TestRunner } from "./support.js";

const ANSWER_BYTES = 450 << 20;

/** Streams garbage until ANSWER_BYTES or until the client hangs up; counts what it sent. */
async function startFloodServer(): Promise<{ url: string; sent: () => number; close(): Promise<void> }> {
  let sent = 0;
  const block = Buffer.alloc(256 << 10, "A");
  const server = http.createServer((req, res) => {
    if (req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: [{ id: "flood" }] }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const streamed = (JSON.parse(Buffer.concat(chunks).toString()) as { stream?: boolean }).stream === true;
      res.writeHead(200, { "content-type": streamed ? "text/event-stream" : "application/json" });
      res.write(streamed ? 'data: {"choices":[{"delta":{"content":"' : '{"choices":[{"message":{"content":"');
      let left = ANSWER_BYTES;
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          left -= block.length;
          sent += block.length;
          if (!res.write(block)) return void res.once("drain", pump);
        }
        res.end('"}}]}');
      };
      res.on("close", () => (left = 0));
      pump();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    sent: () => sent,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

let runner: TestRunner;
let flood: Awaited<ReturnType<typeof startFloodServer>>;

beforeAll(async () => {
  buildCli();
  flood = await startFloodServer();
  runner = await startRunnerProcess();
});
afterAll(async () => {
  await stopServes([runner]);
  await flood.close();
  fs.rmSync(runner.home, { recursive: true, force: true });
});

describe("a 450 MB policy answer", () => {
  it("is cut at the byte cap: a named policy error, bounded runner memory, /v1/health keeps answering", async () => {
    const client = new RunnerClient(runner.url, TOKEN);
    const sha = await uploadCalculator(client);
    const before = memoryMiB(runner.pid);
    const idle = percentile(await idleHealth(runner.url), 99);
    const probe = probeHealth(runner.url);
    const runs = await Promise.all(
      [true, false].map((stream) => client.createRun({ env: sha, policy: { spec: flood.url, stream, retries: 0 }, tasks: 1, group: 2, concurrency: 2 })),
    );
    const done = await Promise.all(runs.map((r) => ended(client, r.id)));
    const latencies = await probe.stop();
    const mem = memoryMiB(runner.pid);
    const p99 = percentile(latencies, 99);
    console.log(`policy flood: runner RSS ${before.now.toFixed(0)} MiB before, peak ${mem.peak.toFixed(0)} MiB; /v1/health p99 ${p99.toFixed(1)} ms over ${latencies.length} probes (idle p99 ${idle.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(0)} ms); ${(flood.sent() / 2 ** 20).toFixed(0)} MiB sent by the server`);

    for (const run of done) {
      const page = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?limit=10`);
      expect(page.items.length).toBe(2);
      for (const t of page.items) {
        expect(t.stopReason).toBe("policy_error");
        expect(t.error).toContain(`the runner takes at most ${DEFAULT_POLICY_LIMITS.maxResponseBytes}`);
      }
    }
    // Four answers of 450 MB were offered; the runner hung up on each soon after its cap.
    expect(flood.sent()).toBeLessThan(4 * (DEFAULT_POLICY_LIMITS.maxResponseBytes + (16 << 20)));
    // Bounded: far below a single copy of one answer.
    expect(mem.peak - before.now).toBeLessThan(300);
    expect(Math.max(...latencies)).toBeLessThan(FROZEN_MS);
  }, 300_000);
});
