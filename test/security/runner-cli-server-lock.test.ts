// Attack (on correctness): a CLI rollout and a server on one data folder. The server would
// "recover" the CLI's unfinished run and run its episodes a second time; both take one lock.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempHome } from "../api/fixture.js";
import { CALCULATOR } from "../api/runner-fixture.js";
import { CLI, startServe, stopServes, type ServeProcess } from "../api/serve-process.js";
import { buildCli, TOKEN } from "./support.js";

/** A policy server that holds every request until released: the CLI's run stays in flight. */
async function startHeldPolicy(): Promise<{ url: string; held: () => number; release(): void; close(): Promise<void> }> {
  const waiting: http.ServerResponse[] = [];
  let released = false;
  let seen = 0;
  const answer = (res: http.ServerResponse): void => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ message: { role: "assistant", content: "done" }, finish_reason: "stop" }] }));
  };
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method !== "POST") {
      res.writeHead(404).end(); // no /models: the client falls back to a default model name
      return;
    }
    req.on("end", () => {
      seen++;
      if (released) answer(res);
      else waiting.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    held: () => seen,
    release: () => {
      released = true;
      for (const res of waiting.splice(0)) answer(res);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const home = tempHome("agentrl-lock-");
const servers: ServeProcess[] = [];
let policy: Awaited<ReturnType<typeof startHeldPolicy>>;

beforeAll(async () => {
  buildCli();
  policy = await startHeldPolicy();
});
afterAll(async () => {
  await stopServes(servers);
  await policy.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function waitFor(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      }
    }, 50);
  });
}

describe("a CLI rollout and a server on one AGENTRL_HOME", () => {
  it("cannot both run: the second is refused naming the first and the fix, and the run's episodes run once", async () => {
    const env = { ...process.env, AGENTRL_HOME: home, AGENTRL_TOKEN: TOKEN };
    const cli = spawn(process.execPath, [CLI, "rollout", CALCULATOR, "--policy", policy.url, "--tasks", "2", "--group", "1", "--concurrency", "2", "--json"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let cliErr = "";
    cli.stderr.on("data", (d: Buffer) => (cliErr += d.toString()));
    const cliExit = new Promise<number | null>((r) => cli.once("exit", (code) => r(code)));
    // The CLI's episodes are waiting on the policy: its run is in flight.
    await waitFor(() => policy.held() >= 2);

    const refused = startServe({ AGENTRL_HOME: home, AGENTRL_TOKEN: TOKEN });
    await expect(refused).rejects.toThrow(new RegExp(`another runner \\(pid ${cli.pid}[^)]*\\) is using ${home.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*Fix:`, "s"));

    policy.release();
    expect(await cliExit).toBe(0);
    expect(policy.held()).toBe(2); // each episode asked the policy once: nothing ran twice

    // With the CLI gone, the server starts; a CLI rollout meanwhile is refused.
    const server = await startServe({ AGENTRL_HOME: home, AGENTRL_TOKEN: TOKEN });
    servers.push(server);
    const second = spawn(process.execPath, [CLI, "rollout", CALCULATOR, "--policy", "noop", "--tasks", "1", "--group", "1"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    second.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => second.once("exit", (c) => r(c)));
    expect(code).not.toBe(0);
    expect(err).toContain(`another runner (pid ${server.pid}`);
    expect(err).toContain("agentrl remote rollout");
    expect(cliErr).not.toContain("another runner");
    expect(fs.existsSync(path.join(home, "store.db"))).toBe(true);
  }, 300_000);
});
