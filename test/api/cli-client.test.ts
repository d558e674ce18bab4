import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SANDBOXES_RELEASED } from "../../remote-runner/src/api/run-manager.js";
import { tempHome } from "./fixture.js";
import { CALCULATOR } from "./runner-fixture.js";
import { CLI, startServe, type ServeProcess } from "./serve-process.js";

const run = promisify(execFile);
const TOKEN = "cli-test-token-abcdefghijklmnop";
let home: string;
let server: ServeProcess;

beforeAll(async () => {
  execFileSync(process.execPath, [path.resolve(__dirname, "../../scripts/build.mjs")], { stdio: "inherit" });
  home = tempHome("agentrl-cli-");
  server = await startServe({ AGENTRL_HOME: home, AGENTRL_TOKEN: TOKEN });
});
afterAll(async () => {
  server.child.kill("SIGTERM");
  await server.exited;
  fs.rmSync(home, { recursive: true, force: true });
});

/** Runs the CLI as a client: its own empty AGENTRL_HOME, the token only through AGENTRL_TOKEN. */
async function agentrl(args: string[], token = TOKEN): Promise<{ code: number; stdout: string; stderr: string }> {
  const clientHome = tempHome("agentrl-cli-client-");
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, AGENTRL_HOME: clientHome, AGENTRL_TOKEN: token }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  } finally {
    fs.rmSync(clientHome, { recursive: true, force: true });
  }
}

describe("CLI clients of the runner API", () => {
  it("remote rollout bundles, uploads, runs and follows; runs lists it; logs prints its events", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // loopback unless --host says otherwise
    const r = await agentrl(["remote", "rollout", CALCULATOR, "--runner", server.url, "--policy", "scripted:reference.jsonl", "--tasks", "3", "--group", "2", "--concurrency", "3", "--json"]);
    expect(r.stderr).toMatch(/uploaded calculator \(\d+ files/);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as { run_id: string; status: string; trajectories: number; mean_reward: number };
    expect(last).toMatchObject({ status: "finished", trajectories: 6, mean_reward: 1 });

    const runs = await agentrl(["runs", "--runner", server.url]);
    expect(runs.code).toBe(0);
    const row = runs.stdout.split("\n").find((l) => l.startsWith(last.run_id));
    expect(row).toMatch(/finished\s+calculator\s+6\/6\s+1\.000/);

    const logs = await agentrl(["logs", last.run_id, "--runner", server.url]);
    const lines = logs.stdout.trim().split("\n");
    expect(lines.filter((l) => / finished .* reward 1 /.test(l))).toHaveLength(6);
    // The last run event is the final status (the runner may add its "sandboxes released" note after it).
    expect(lines.filter((l) => !l.includes(SANDBOXES_RELEASED)).at(-1)).toMatch(/status finished$/);
    const seqs = lines.map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("logs -f follows a live run until it ends, without gaps or duplicates", async () => {
    const started = await agentrl(["remote", "rollout", CALCULATOR, "--runner", server.url, "--policy", "scripted:reference.jsonl", "--tasks", "8", "--group", "2", "--concurrency", "2", "--detach", "--json"]);
    expect(started.code).toBe(0);
    const { run_id } = JSON.parse(started.stdout.trim().split("\n").at(-1) as string) as { run_id: string };
    const followed = await agentrl(["logs", "-f", run_id, "--runner", server.url, "--json"]);
    expect(followed.code).toBe(0);
    const events = followed.stdout.trim().split("\n").map((l) => JSON.parse(l) as { seq: number; type: string; data: { status?: string } });
    expect(events.filter((e) => e.type === "trajectory.finished")).toHaveLength(16);
    expect(events.at(-1)).toMatchObject({ type: "run.status", data: { status: "finished" } });
    const seqs = events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Same events as the stored log (paged over HTTP).
    const stored = await agentrl(["logs", run_id, "--runner", server.url, "--json"]);
    const storedSeqs = stored.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(storedSeqs.filter((seq) => seq <= (seqs.at(-1) as number))).toEqual(seqs);
  });

  it("a second agentrl serve on the same data folder refuses to start (it would double the runs' episodes)", async () => {
    await expect(startServe({ AGENTRL_HOME: home, AGENTRL_TOKEN: TOKEN })).rejects.toThrow(/another runner \(pid \d+[^)]*\) is using .*AGENTRL_HOME/);
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
  });

  it("a wrong token or an unreachable runner fails with a message naming the fix", async () => {
    const wrong = await agentrl(["runs", "--runner", server.url], "wrong-token-wrong-token");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Missing or wrong bearer token.*refused the token/);
    const down = await agentrl(["runs", "--runner", "http://127.0.0.1:9"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the runner at http:\/\/127\.0\.0\.1:9 .*agentrl serve/);
  });
});
