// The SQLite store and the blob folder, on a real database file in a temporary AGENTRL_HOME.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RunConfig } from "@agentrl/protocol";
import { openStore } from "../../remote-runner/src/store/store.js";
import { toExportRow } from "../../remote-runner/src/store/export.js";
import { tempDir } from "../rollout/support.js";
import { makeTrajectory } from "./trajectory-fixture.js";

const CONFIG: RunConfig = { envDir: "/envs/x", policy: { spec: "noop" }, group: 2, concurrency: 1 };

describe("store", () => {
  it("keeps runs with status, summary and error; unknown runs are reported", () => {
    const home = tempDir("store");
    const store = openStore(home);
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    store.createRun({ id: "r1", config: CONFIG, envName: "x", envHash: "h" });
    store.createRun({ id: "r2", config: CONFIG, envName: "y", envHash: "h2", status: "running" });
    expect(store.getRun("r1")).toMatchObject({ status: "queued", config: CONFIG, summary: null });
    store.updateRunStatus("r1", "failed", { error: "boom" });
    expect(store.getRun("r1")).toMatchObject({ status: "failed", error: "boom" });
    expect(store.listRuns().map((r) => r.id).sort()).toEqual(["r1", "r2"]);
    expect(() => store.updateRunStatus("nope", "running")).toThrow(/no run "nope"/);
    expect(store.getRun("nope")).toBeNull();
    store.close();
  });

  it("stores trajectories and filters them by reward, task, error and text, with paging and totals", () => {
    const store = openStore(tempDir("store"));
    for (let i = 0; i < 10; i++) store.putTrajectory(makeTrajectory("r", i, i === 7 ? { status: "agent_error", error: { kind: "policy", message: "timeout" }, reward: { total: null, components: {}, weights: {}, errors: [], durationMs: 0 } } : {}));
    store.putTrajectory(makeTrajectory("other", 1));
    expect(store.getTrajectory("r:4:0")?.turns[0]?.assistant.toolCalls?.[0]?.arguments).toEqual({ x: 4 });
    expect(store.queryTrajectories({ runId: "r" }).total).toBe(10);
    expect(store.queryTrajectories({ runId: "r", minReward: 0.5 }).items.map((t) => t.taskId)).toEqual(["task-5", "task-6", "task-8", "task-9"]);
    expect(store.queryTrajectories({ runId: "r", maxReward: 0.1 }).total).toBe(2);
    expect(store.queryTrajectories({ runId: "r", hasError: true }).items.map((t) => [t.taskId, t.error])).toEqual([["task-7", "policy: timeout"]]);
    expect(store.queryTrajectories({ runId: "r", hasError: false }).total).toBe(9);
    expect(store.queryTrajectories({ taskId: "task-1" }).total).toBe(2);
    // Text search is literal (no LIKE wildcards) and case-insensitive, over messages too.
    expect(store.queryTrajectories({ text: "100%" }).items.map((t) => t.taskId)).toEqual(["task-3"]);
    expect(store.queryTrajectories({ text: "ANSWER 5" }).items.map((t) => t.taskId)).toEqual(["task-5"]);
    expect(store.queryTrajectories({ text: "%" }).total).toBe(1);
    const page = store.queryTrajectories({ runId: "r", offset: 8, limit: 5 });
    expect(page.total).toBe(10);
    expect(page.items.map((t) => t.taskId)).toEqual(["task-8", "task-9"]);
    expect(page.items[0]).toMatchObject({ turns: 1, toolCalls: 1, reward: 0.8, components: { correct: 0.8 } });
    const heard: unknown[] = [];
    const off = store.onEvent((e) => heard.push(e));
    store.setGroupAdvantages("r", "r:5", [{ id: "r:5:0", advantage: 1.5, componentAdvantages: { correct: 1.5 } }], { estimator: "rloo", by: "trainer" });
    off();
    // Viewers hear the group's advantages in the same commit, so they never refetch the list for them.
    expect(heard).toMatchObject([{ runId: "r", type: "group.advantages", data: { groupId: "r:5", items: [{ trajectoryId: "r:5:0", advantage: 1.5 }] } }]);
    expect(store.getTrajectory("r:5:0")).toMatchObject({ advantage: 1.5, componentAdvantages: { correct: 1.5 }, advantageSource: { estimator: "rloo", by: "trainer" } });
    expect(store.queryTrajectories({ runId: "r", taskId: "task-5" }).items[0]?.advantage).toBe(1.5);
    store.close();
  });

  it("events have increasing sequence ids, are readable after any id, feed live listeners and survive a reopen", () => {
    const home = tempDir("store");
    let store = openStore(home);
    const live: number[] = [];
    const off = store.onEvent((e) => live.push(e.seq));
    const a = store.appendEvent("r1", "run.status", { status: "running" });
    const b = store.appendEvent("r2", "log", { level: "info", message: "x" });
    off();
    const c = store.appendEvent("r1", "trajectory.started", { trajectoryId: "t", taskId: "task-0", groupId: "g", sampleIndex: 0, attempt: 0 });
    expect([a.seq < b.seq, b.seq < c.seq]).toEqual([true, true]);
    expect(live).toEqual([a.seq, b.seq]);
    expect(store.eventsAfter(a.seq).map((e) => e.seq)).toEqual([b.seq, c.seq]);
    expect(store.eventsAfter(0, { runId: "r1" }).map((e) => e.type)).toEqual(["run.status", "trajectory.started"]);
    expect(store.eventsAfter(0, { limit: 1 })).toHaveLength(1);
    store.close();
    store = openStore(home);
    expect(store.eventsAfter(b.seq)).toEqual([{ seq: c.seq, runId: "r1", ts: c.ts, type: "trajectory.started", data: c.data }]);
    // Inside a transaction, listeners hear events only after the commit (and never after a rollback).
    const heard: string[] = [];
    store.onEvent((e) => heard.push(`${e.type}:${store.db.inTransaction ? "open" : "committed"}`));
    store.transaction(() => {
      store.appendEvent("r1", "log", { level: "info", message: "1" });
      expect(heard).toEqual([]);
    });
    expect(() =>
      store.transaction(() => {
        store.appendEvent("r1", "log", { level: "info", message: "2" });
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(heard).toEqual(["log:committed"]);
    expect(store.eventsAfter(c.seq).map((e) => e.data)).toEqual([{ level: "info", message: "1" }]);
    // A listener that throws does not break the writer.
    store.onEvent(() => {
      throw new Error("closed socket");
    });
    expect(store.appendEvent("r1", "log", { level: "info", message: "3" }).seq).toBeGreaterThan(c.seq);
    store.close();
  });

  it("blobs are content-addressed files; metrics are a series per run", () => {
    const home = tempDir("store");
    const store = openStore(home);
    const bytes = Buffer.from("a long tool output ".repeat(1000));
    const ref = store.putBlob(bytes, "text/plain");
    expect(ref.size).toBe(bytes.length);
    expect(fs.readFileSync(path.join(home, "blobs", ref.sha256.slice(0, 2), ref.sha256))).toEqual(bytes);
    expect(store.putBlob(bytes, "text/plain").sha256).toBe(ref.sha256);
    expect(store.getBlob(ref.sha256)).toEqual({ bytes, mime: "text/plain" });
    expect(store.getBlob("0".repeat(64))).toBeNull();
    expect(() => store.getBlob("../etc/passwd")).toThrow(/not a sha256/);
    store.appendMetrics("r", 2, { reward_mean: 0.5 });
    store.appendMetrics("r", 1, { reward_mean: 0.25 });
    expect(store.metricSeries("r").map((m) => [m.step, m.values.reward_mean])).toEqual([[1, 0.25], [2, 0.5]]);
    store.close();
  });

  it("export rows have the same column types on every row", () => {
    const rows = [toExportRow(makeTrajectory("r", 1)), toExportRow(makeTrajectory("r", 2, { status: "infra_error", turns: [], error: { kind: "infra", message: "died" }, reward: { total: null, components: {}, weights: {}, errors: [], durationMs: 0 } }))];
    const shape = (v: unknown): unknown => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v === "object" ? Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, shape(x)])) : typeof v);
    const [a, b] = rows.map((r) => shape(r) as Record<string, unknown>);
    for (const key of Object.keys(a ?? {})) {
      if (a?.[key] === "null" || b?.[key] === "null") continue;
      expect([key, b?.[key]]).toEqual([key, a?.[key]]);
    }
    expect(typeof rows[0]?.task).toBe("string");
    expect(rows[0]?.messages[1]?.tool_calls[0]).toEqual({ id: "c", name: "calc", arguments: '{"x":1}' });
    expect(rows[0]?.messages[2]).toEqual({ role: "tool", content: "1", tool_calls: [], tool_call_id: "c" });
  });
});
