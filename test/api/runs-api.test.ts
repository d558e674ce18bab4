import type { LimiterStats } from "../../remote-runner/src/api/fair-limiter.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RescoreReport, Run, RunEvent, TrajectoryPage, TryRewardReport } from "@agentrl/protocol";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { RunnerError, type RunnerClient } from "../../remote-runner/src/api/client.js";
import type { Runner } from "../../remote-runner/src/api/runner-server.js";
import { SANDBOXES_RELEASED } from "../../remote-runner/src/api/run-manager.js";
import { CALCULATOR, startTestRunner, uploadCalculator } from "./runner-fixture.js";

let runner: Runner;
let client: RunnerClient;
let close: () => Promise<void>;
let env: string;
const LIMIT = 3;

beforeAll(async () => {
  ({ runner, client, close } = await startTestRunner({ maxSandboxes: LIMIT }));
  env = await uploadCalculator(client);
});
afterAll(async () => {
  await close();
});

async function post(path: string, body: string, contentType = "application/json"): Promise<{ status: number; error: { code: string; message: string; field?: string } }> {
  const res = await fetch(runner.url + path, { method: "POST", headers: { Authorization: `Bearer ${runner.token.token}`, "Content-Type": contentType }, body });
  return { status: res.status, error: ((await res.json()) as { error: { code: string; message: string; field?: string } }).error };
}

/** Resolves once the run has ended and the runner has released its sandboxes (its last event). */
function waitForEnd(runId: string): Promise<Run> {
  return new Promise((resolve) => {
    const done = (): boolean => runner.store.eventsAfter(0, { runId, limit: 100_000 }).some((e) => e.type === "log" && e.data.message === SANDBOXES_RELEASED);
    const off = runner.store.onEvent((e) => {
      if (e.runId === runId && done()) {
        off();
        resolve(runner.store.getRun(runId) as Run);
      }
    });
    if (done()) {
      off();
      resolve(runner.store.getRun(runId) as Run);
    }
  });
}

const scripted = { spec: "scripted:reference.jsonl" };

describe("request validation", () => {
  it("malformed JSON → 400 naming the body", async () => {
    const r = await post("/v1/runs", '{"env": "abc", "group": 2,');
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ code: "malformed_json", field: "body" });
    expect(r.error.message).toMatch(/not valid JSON/);
  });

  it("wrong types, missing and unknown fields → 400 naming the field", async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ env, policy: scripted, group: "two", concurrency: 1 }, "body.group", /must be integer/],
      [{ env, group: 1, concurrency: 1 }, "body.policy", /is required/],
      [{ env, policy: { spec: 7 }, group: 1, concurrency: 1 }, "body.policy.spec", /must be string/],
      [{ env, policy: scripted, group: 1, concurrency: 0 }, "body.concurrency", /must be >= 1/],
      [{ env, policy: scripted, group: 1, concurrency: 1, gpus: 8 }, "body.gpus", /not a known field/],
      [{ env: "not-a-hash", policy: scripted, group: 1, concurrency: 1 }, "body.env", /must match pattern/],
      [[1, 2], "body", /must be object/],
    ];
    for (const [body, field, message] of cases) {
      const r = await post("/v1/runs", JSON.stringify(body));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.error.field).toBe(field);
      expect(r.error.message).toMatch(message);
    }
  });

  it("an unknown environment, a bad policy or too many tasks are refused before a run exists", async () => {
    const before = runner.store.listRuns().length;
    const unknown = await post("/v1/runs", JSON.stringify({ env: "0".repeat(64), policy: scripted, group: 1, concurrency: 1 }));
    expect(unknown).toMatchObject({ status: 404, error: { field: "body.env" } });
    const outside = await post("/v1/runs", JSON.stringify({ env, policy: { spec: "scripted:../../../etc/passwd" }, group: 1, concurrency: 1 }));
    expect(outside).toMatchObject({ status: 400, error: { field: "body.policy.spec" } });
    const tooMany = await post("/v1/runs", JSON.stringify({ env, policy: scripted, tasks: 999, group: 1, concurrency: 1 }));
    expect(tooMany).toMatchObject({ status: 400, error: { field: "body.tasks" } });
    expect(runner.store.listRuns().length).toBe(before);
  });

  it("a bundle that is not an environment is refused at run creation, naming the problem", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "not-an-env-"));
    fs.writeFileSync(path.join(dir, "README.md"), "no env here\n");
    const sha = (await client.uploadEnvironment((await bundleEnv(dir)).tarGz)).sha256;
    const r = await post("/v1/runs", JSON.stringify({ env: sha, policy: scripted, group: 1, concurrency: 1 }));
    expect(r).toMatchObject({ status: 400, error: { code: "invalid_environment", field: "body.env" } });
    expect(r.error.message).toMatch(/no env\.ts/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves a stored blob with its type, and 400/404 for bad or unknown hashes", async () => {
    const bytes = Buffer.from("\x89PNG fake screenshot bytes");
    const ref = runner.store.putBlob(bytes, "image/png");
    const res = await fetch(`${runner.url}/v1/blobs/${ref.sha256}`, { headers: { Authorization: `Bearer ${runner.token.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    await expect(client.json("GET", "/v1/blobs/not-a-hash")).rejects.toMatchObject({ status: 400 });
    await expect(client.json("GET", `/v1/blobs/${"0".repeat(64)}`)).rejects.toMatchObject({ status: 404 });
  });

  it("bad query parameters → 400 naming the parameter; unknown routes → 404", async () => {
    const res = await fetch(`${runner.url}/v1/runs/x/trajectories?limit=abc`, { headers: { Authorization: `Bearer ${runner.token.token}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe("query.limit");
    await expect(client.json("GET", "/v1/nope")).rejects.toMatchObject({ status: 404 });
    await expect(client.getRun("no-such-run")).rejects.toMatchObject({ status: 404, code: "run_not_found" });
  });
});

describe("runs", () => {
  it("3 concurrent runs finish under one global sandbox limit, sharing it fairly", async () => {
    const samples: LimiterStats[] = [];
    const off = runner.store.onEvent((e: RunEvent) => {
      if (e.type === "trajectory.started") samples.push(runner.limiter.stats());
    });
    const created = await Promise.all([0, 1, 2].map((i) => client.createRun({ env, policy: scripted, tasks: 6, group: 2, concurrency: 4, name: `fair-${i}` })));
    const ids = created.map((r) => r.id);
    const ended = await Promise.all(ids.map(waitForEnd));
    off();
    for (const run of ended) {
      expect(run.status).toBe("finished");
      expect(run.summary?.trajectories).toBe(12);
    }
    expect(samples.length).toBeGreaterThanOrEqual(36);
    expect(Math.max(...samples.map((s) => s.inUse))).toBeLessThanOrEqual(LIMIT);
    // While all three runs wait for slots, the gap between the largest and smallest share never
    // grows past the first run's head start (it had the slots before the others asked) and closes to 1.
    const contended = samples.filter((s) => ids.every((id) => (s.waiting[id] ?? 0) > 0));
    expect(contended.length).toBeGreaterThan(3);
    const gaps = contended.map((s) => {
      const held = ids.map((id) => s.held[id] ?? 0);
      return Math.max(...held) - Math.min(...held);
    });
    for (const g of gaps) expect(g).toBeLessThanOrEqual(Math.max(1, gaps[0] as number));
    expect(gaps.at(-1)).toBeLessThanOrEqual(1);
    expect(gaps.filter((g) => g <= 1).length).toBeGreaterThan(gaps.length / 2);
    // Interleaved, not one after the other: every run finished a trajectory before any run ended.
    const firstDone = ids.map((id) => runner.store.eventsAfter(0, { runId: id, limit: 100_000 }).find((e) => e.type === "trajectory.finished")?.seq ?? Infinity);
    const firstEnd = Math.min(...ids.map((id) => runner.store.eventsAfter(0, { runId: id, limit: 100_000 }).find((e) => e.type === "run.status" && e.data.status === "finished")?.seq ?? Infinity));
    for (const seq of firstDone) expect(seq).toBeLessThan(firstEnd);
    const listed = await client.listRuns();
    expect(listed.items.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
  });

  it("pages trajectories with filters, serves one trajectory, metrics and the JSONL export", async () => {
    const run = await client.createRun({ env, policy: scripted, tasks: 5, group: 2, concurrency: 4 });
    await waitForEnd(run.id);
    const page = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?limit=4&offset=4`);
    expect(page.total).toBe(10);
    expect(page.items).toHaveLength(4);
    expect(page.items[0]?.id).toBe(`${run.id}:2:0`);
    const high = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?minReward=0.5`);
    expect(high.total).toBe(10); // the reference solutions score 1
    const none = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?maxReward=0.5`);
    expect(none.total).toBe(0);
    const task = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?taskId=calc-003`);
    expect(task.items.map((t) => t.sampleIndex)).toEqual([0, 1]);
    const text = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?text=${encodeURIComponent("(59 + 30) * 2")}`);
    expect(text.items.every((t) => t.taskId === "calc-003")).toBe(true);
    expect(text.total).toBe(2);
    const errors = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?hasError=true`);
    expect(errors.total).toBe(0);
    const one = await client.json<{ id: string; turns: unknown[] }>("GET", `/v1/trajectories/${encodeURIComponent(`${run.id}:2:0`)}`);
    expect(one.id).toBe(`${run.id}:2:0`);
    expect(one.turns.length).toBe(2);
    const metrics = await client.json<{ items: { step: number }[] }>("GET", `/v1/runs/${run.id}/metrics`);
    expect(metrics.items.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    const exp = await fetch(`${runner.url}/v1/runs/${run.id}/export`, { headers: { Authorization: `Bearer ${runner.token.token}` } });
    const lines = (await exp.text()).trim().split("\n");
    expect(lines).toHaveLength(10);
    expect((JSON.parse(lines[0] as string) as { runId: string }).runId).toBe(run.id);
    const blob = await fetch(`${runner.url}/v1/blobs/${"a".repeat(64)}`, { headers: { Authorization: `Bearer ${runner.token.token}` } });
    expect(blob.status).toBe(404);
  });

  it("rescores an ended run with a changed reward uploaded as a new bundle", async () => {
    const run = await client.createRun({ env, policy: scripted, tasks: 3, group: 2, concurrency: 3 });
    await waitForEnd(run.id);
    const same = await client.json<RescoreReport>("POST", `/v1/runs/${run.id}/rescore`, {});
    expect(same).toMatchObject({ trajectories: 6, rescored: 6, changed: 0, saved: false });
    // A stricter format reward: "correct" now weighs 0 (a metric only), so every total drops by 0.7.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calc-changed-"));
    fs.cpSync(CALCULATOR, dir, { recursive: true });
    const envTs = path.join(dir, "env.ts");
    fs.writeFileSync(envTs, fs.readFileSync(envTs, "utf8").replace('exactMatch({ name: "correct", weight: 0.7 })', 'exactMatch({ name: "correct", weight: 0 })'));
    const changedEnv = (await client.uploadEnvironment((await bundleEnv(dir)).tarGz)).sha256;
    expect(changedEnv).not.toBe(env);
    const changed = await client.json<RescoreReport>("POST", `/v1/runs/${run.id}/rescore`, { env: changedEnv, save: true });
    expect(changed).toMatchObject({ rescored: 6, changed: 6, saved: true });
    expect(changed.meanBefore).toBeCloseTo(1);
    expect(changed.meanAfter).toBeCloseTo(0.3);
    const stored = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories`);
    expect(stored.items.every((t) => Math.abs((t.reward ?? 0) - 0.3) < 1e-9)).toBe(true);
    await expect(client.json("POST", `/v1/runs/${run.id}/rescore`, { env: "f".repeat(64) })).rejects.toMatchObject({ status: 404 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("tries one reward as written now on a run's trajectories (or a picked one): values, and the source line a throwing reward threw at", async () => {
    const run = await client.createRun({ env, policy: scripted, tasks: 3, group: 2, concurrency: 3 });
    await waitForEnd(run.id);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calc-try-"));
    fs.cpSync(CALCULATOR, dir, { recursive: true });
    const envTs = path.join(dir, "env.ts");
    const draft = 'defineReward({ name: "draft", score: (ctx) => {\n      if (ctx.task.id === "calc-002") throw new Error("draft reward bug");\n      return ctx.finalAnswer.length > 5 ? 1 : 0;\n    } }),';
    fs.writeFileSync(envTs, fs.readFileSync(envTs, "utf8").replace("import { defineEnvironment,", "import { defineReward, defineEnvironment,").replace("  rewards: [\n", `  rewards: [\n    ${draft}\n`));
    const throwLine = fs.readFileSync(envTs, "utf8").split("\n").findIndex((l) => l.includes("draft reward bug")) + 1;
    const tryEnv = (await client.uploadEnvironment((await bundleEnv(dir)).tarGz)).sha256;
    const all = await client.json<TryRewardReport>("POST", `/v1/runs/${run.id}/try-reward`, { env: tryEnv, reward: "correct" });
    expect(all).toMatchObject({ reward: "correct", available: 6, mean: 1, min: 1, max: 1, errors: 0 });
    expect(all.rows).toHaveLength(6);
    const draftReport = await client.json<TryRewardReport>("POST", `/v1/runs/${run.id}/try-reward`, { env: tryEnv, reward: "draft" });
    expect(draftReport.errors).toBe(2);
    const failed = draftReport.rows.filter((r) => r.taskId === "calc-002");
    for (const r of failed) expect(r).toMatchObject({ value: null, errors: [{ reward: "draft", kind: "threw", message: "draft reward bug", location: { file: "env.ts", line: throwLine } }] });
    expect(draftReport.rows.filter((r) => r.taskId !== "calc-002").every((r) => r.value === 1)).toBe(true);
    const one = await client.json<TryRewardReport>("POST", `/v1/runs/${run.id}/try-reward`, { env: tryEnv, reward: "format", trajectoryIds: [all.rows[0]?.id] });
    expect(one.rows.map((r) => r.id)).toEqual([all.rows[0]?.id]);
    // Stored scores are untouched, and a reward the env does not have is a 400 naming the ones it has.
    const stored = await client.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories`);
    expect(stored.items.every((t) => t.reward === 1 && !("draft" in t.components))).toBe(true);
    await expect(client.json("POST", `/v1/runs/${run.id}/try-reward`, { env: tryEnv, reward: "nope" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/no reward "nope".*"draft"/) });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("pauses, resumes and cancels a run; actions on an ended run are 409", async () => {
    const run = await client.createRun({ env, policy: scripted, tasks: 30, group: 2, concurrency: 2 });
    const paused = await client.runAction(run.id, "pause");
    expect(paused.status).toBe("paused");
    const resumed = await client.runAction(run.id, "resume");
    expect(resumed.status).toBe("running");
    await client.runAction(run.id, "cancel");
    const ended = await waitForEnd(run.id);
    expect(ended.status).toBe("cancelled");
    expect(runner.store.queryTrajectories({ runId: run.id, limit: 1 }).total).toBeLessThan(60);
    await expect(client.runAction(run.id, "resume")).rejects.toBeInstanceOf(RunnerError);
    await expect(client.runAction(run.id, "resume")).rejects.toMatchObject({ status: 409, code: "run_not_active" });
  });
});
