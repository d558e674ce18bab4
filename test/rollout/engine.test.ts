// The rollout engine with real Docker sandboxes and a real store: the calculator reference and noop
// runs, built-in sandbox tools, limits, a sandbox that dies mid-episode, cancel + resume, pause.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@agentrl/protocol";
import { connectDocker } from "../../remote-runner/src/docker/engine.js";
import { loadEnvironment } from "../../remote-runner/src/envs/load.js";
import { resumeRun, startRun, type RunHandle } from "../../remote-runner/src/rollout/engine.js";
import { resolveEnvImage } from "../../remote-runner/src/rollout/image.js";
import type { DockerSandbox } from "../../remote-runner/src/sandbox/docker-sandbox.js";
import { CALCULATOR_DIR, harness, rollout, tempDir, writeFiles, type Harness } from "./support.js";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

const REFERENCE = `scripted:${path.join(CALCULATOR_DIR, "reference.jsonl")}`;

describe("calculator example", () => {
  it("the reference solution scores 1 on every episode with tools run in Docker; events tell the story in order", async () => {
    const events: RunEvent[] = [];
    const off = h.store.onEvent((e) => events.push(e));
    const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: REFERENCE }, tasks: 8, group: 2, concurrency: 4 });
    off();
    expect(r.summary).toMatchObject({ trajectories: 16, errors: 0, meanReward: 1, groups: 8, zeroVarianceGroups: 8 });
    for (const t of r.trajectories) {
      expect(t.sandboxImage).toMatch(/^agentrl\/base:/);
      expect(t.turns[0]?.observations[0]?.sandboxMs).toBeGreaterThan(0);
      expect(t.advantage).toBe(0);
      expect(t.provenance.envHash).toBe(r.env.envHash);
    }
    const mine = events.filter((e) => e.runId === r.runId);
    expect(mine.map((e) => e.seq)).toEqual([...mine.map((e) => e.seq)].sort((a, b) => a - b));
    const types = mine.map((e) => e.type);
    expect(types.filter((t) => t === "trajectory.started")).toHaveLength(16);
    expect(types.filter((t) => t === "trajectory.turn")).toHaveLength(32);
    expect(types.filter((t) => t === "trajectory.finished")).toHaveLength(16);
    expect(types.filter((t) => t === "run.metrics")).toHaveLength(8);
    // Each group's advantages come once, after both of its samples finished, naming both.
    const adv = mine.flatMap((e) => (e.type === "group.advantages" ? [e] : []));
    expect(adv).toHaveLength(8);
    for (const a of adv) {
      const finished = mine.filter((e) => e.type === "trajectory.finished" && e.data.groupId === a.data.groupId);
      expect(finished.map((e) => e.seq).every((s) => s < a.seq)).toBe(true);
      expect(a.data.items.map((i) => i.trajectoryId).sort()).toEqual(finished.map((e) => (e.type === "trajectory.finished" ? e.data.id : "")).sort());
      expect(a.data.items.every((i) => i.advantage === 0)).toBe(true);
    }
    expect(mine.at(-1)).toMatchObject({ type: "run.status", data: { status: "finished" } });
    // Events are durable: a reader that reconnects after seq N gets the rest from SQLite.
    const from = mine[10]?.seq ?? 0;
    expect(h.store.eventsAfter(from, { runId: r.runId, limit: 10_000 }).map((e) => e.seq)).toEqual(mine.slice(11).map((e) => e.seq));
    expect(h.store.metricSeries(r.runId)).toHaveLength(8);
  });

  it("the noop policy scores 0", async () => {
    const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: "noop" }, tasks: 10, group: 2, concurrency: 4 });
    expect(r.summary.trajectories).toBe(20);
    expect(r.summary.errors).toBe(0);
    expect(r.summary.meanReward).toBe(0);
  });

  it("a wrong answer and extra tool calls earn partial credit in the right components", async () => {
    const dir = tempDir("script");
    writeFiles(dir, {
      "s.jsonl":
        JSON.stringify({ task_id: "calc-001", turns: [{ tool_calls: [{ name: "calculate", arguments: { expression: "92 * 12" } }] }, { tool_calls: [{ name: "calculate", arguments: { expression: "92 * 12" } }] }, { content: "<answer>1104</answer>" }] }) +
        "\n" +
        JSON.stringify({ task_id: "calc-002", turns: [{ content: "<answer>7</answer>" }] }) +
        "\n",
    });
    const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` }, tasks: 2 });
    const [extra, wrong] = r.trajectories;
    expect(extra?.reward.components.correct).toBe(1);
    expect(extra?.reward.components.tool_efficiency).toBeGreaterThan(0.5);
    expect(extra?.reward.components.tool_efficiency).toBeLessThan(1);
    expect(wrong?.reward.components).toEqual({ correct: 0, tool_efficiency: 0, format: 1 });
    expect(wrong?.reward.total).toBeCloseTo(0.1, 9);
  });
});

function toolEnv(extra: { env?: string; tasks?: string; script: string }): string {
  return writeFiles(tempDir("eng"), {
    "env.ts": `
import { defineEnvironment, defineTool, defineReward } from "@agentrl/sdk";
const step = defineTool<{ n: number }>({
  name: "step",
  description: "one step",
  parameters: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
  run: async ({ n }, ctx) => {
    const r = await ctx.sandbox.exec(["sh", "-c", "echo step-$1 >> log.txt && wc -l < log.txt", "sh", String(n)]);
    return "lines=" + r.stdout.trim();
  },
});
export default defineEnvironment({
  name: "eng",
  tools: [step],
  builtinTools: ["bash", "python", "read_file", "write_file"],
  maxTurns: 5,
  stepTimeoutMs: 3000,
  ${extra.env ?? ""}
  rewards: [defineReward({ name: "turns", score: (ctx) => ctx.turns.length })],
});`,
    "tasks.jsonl": extra.tasks ?? '{"id":"a","prompt":"go"}\n{"id":"b","prompt":"go"}\n{"id":"c","prompt":"go"}\n',
    "s.jsonl": extra.script,
  });
}

describe("tools and limits", () => {
  it("built-in sandbox tools work and a command past the step limit is stopped and reported", async () => {
    const turns = [
      { tool_calls: [{ name: "write_file", arguments: { path: "x/hello.py", content: "print(6 * 7)" } }] },
      { tool_calls: [{ name: "python", arguments: { code: "import runpy; runpy.run_path('x/hello.py')" } }] },
      { tool_calls: [{ name: "read_file", arguments: { path: "x/hello.py" } }, { name: "read_file", arguments: { path: "nope.txt" } }] },
      { tool_calls: [{ name: "bash", arguments: { command: "whoami; id -u; sleep 30" } }] },
      { content: "bye" },
    ];
    const dir = toolEnv({ tasks: '{"id":"a","prompt":"go"}\n', script: JSON.stringify({ task_id: "*", turns }) + "\n" });
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` } });
    const t = r.trajectories[0];
    const obs = t?.turns.map((x) => x.observations.map((o) => o.content));
    expect(obs?.[0]?.[0]).toBe("wrote 12 bytes to x/hello.py");
    expect(obs?.[1]?.[0]).toBe("42");
    expect(obs?.[2]?.[0]).toBe("print(6 * 7)");
    expect(t?.turns[2]?.observations[1]).toMatchObject({ error: "tool_error", content: expect.stringMatching(/no such file/) });
    expect(obs?.[3]?.[0]).toMatch(/^agent\n1000\n\[timed out after \d+ ms\]$/);
    expect(t?.turns[3]?.observations[0]?.durationMs).toBeLessThan(10_000);
    expect(t?.stopReason).toBe("final_answer");
    expect(t?.reward.total).toBe(5);
  });

  it("waiting for a slow container does not count against a tool's time limit", async () => {
    const script = JSON.stringify({ task_id: "*", turns: [{ tool_calls: [{ name: "bash", arguments: { command: "echo ready" } }] }, { content: "done" }] }) + "\n";
    const dir = toolEnv({ tasks: '{"id":"a","prompt":"go"}\n', script });
    // A container that takes longer to come up than the step limit (3 s, plus the 2 s runner-side grace): a loaded Docker host.
    const slow = {
      acquire: async (spec: Parameters<typeof h.pool.acquire>[0]) => {
        const sb = await h.pool.acquire(spec);
        await new Promise((r) => setTimeout(r, 6000));
        return sb;
      },
      release: (sb: Parameters<typeof h.pool.release>[0]) => h.pool.release(sb),
    };
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` } }, { sandboxes: slow });
    const obs = r.trajectories[0]?.turns[0]?.observations[0];
    expect(obs?.error).toBeUndefined();
    expect(obs?.content).toBe("ready");
    expect(obs?.sandboxMs).toBeGreaterThan(5900);
    expect(r.trajectories[0]?.timings.sandboxAcquireMs).toBeGreaterThan(5900);
  });

  it("max turns ends an episode, and so does the episode time limit", async () => {
    const loop = JSON.stringify({ task_id: "*", turns: Array.from({ length: 9 }, (_, i) => ({ tool_calls: [{ name: "bash", arguments: { command: `sleep 0.4; echo ${i}` } }] })) }) + "\n";
    let dir = toolEnv({ tasks: '{"id":"a","prompt":"go"}\n', script: loop });
    let r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` }, maxTurns: 3 });
    expect(r.trajectories[0]).toMatchObject({ stopReason: "max_turns", status: "finished" });
    expect(r.trajectories[0]?.turns).toHaveLength(3);
    dir = toolEnv({ tasks: '{"id":"a","prompt":"go"}\n', script: loop, env: "episodeTimeoutMs: 1000," });
    r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` } });
    expect(r.trajectories[0]?.stopReason).toBe("episode_timeout");
    expect(r.trajectories[0]?.turns.length).toBeLessThan(5);
  });
});

describe("infrastructure failures", () => {
  it("a sandbox that dies mid-episode is replaced and the episode re-run; the failure is recorded apart", async () => {
    const script = [
      JSON.stringify({ task_id: "a", turns: [{ tool_calls: [{ name: "step", arguments: { n: 1 } }] }, { tool_calls: [{ name: "step", arguments: { n: 99 } }] }, { content: "done" }] }),
      JSON.stringify({ task_id: "*", turns: [{ tool_calls: [{ name: "step", arguments: { n: 1 } }] }, { content: "done" }] }),
    ].join("\n");
    const dir = toolEnv({ script });
    // The first "step 99" of the run kills its container from the host (a daemon or machine failure,
    // outside the model's reach: nothing inside the sandbox can end its PID-1 agent).
    let killed = 0;
    const dying = {
      acquire: async (spec: Parameters<typeof h.pool.acquire>[0]) => {
        const sb = (await h.pool.acquire(spec)) as DockerSandbox;
        return new Proxy(sb, {
          get(target, key) {
            if (key === "exec") {
              return async (req: Parameters<DockerSandbox["exec"]>[0]) => {
                if (Array.isArray(req.cmd) && req.cmd.at(-1) === "99" && killed++ === 0) await target.container.kill();
                return target.exec(req);
              };
            }
            const v: unknown = Reflect.get(target, key, target);
            return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
      },
      release: (sb: Parameters<typeof h.pool.release>[0]) => h.pool.release(sb),
    };
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` }, concurrency: 3 }, { sandboxes: dying });
    expect(r.summary.trajectories).toBe(3);
    expect(r.summary.errors).toBe(0);
    expect(r.summary.infraRetries).toBe(1);
    const a = r.trajectories.find((t) => t.taskId === "a");
    expect(a?.status).toBe("finished");
    expect(a?.infraRetries).toBe(1);
    expect(a?.infraErrors[0]).toMatch(/sandbox|died|agent/i);
    // The retry ran in a fresh container: its log started from scratch.
    expect(a?.turns[1]?.observations[0]?.content).toBe("lines=2");
    const warn = h.store.eventsAfter(0, { runId: r.runId, limit: 1000 }).find((e) => e.type === "log");
    expect(warn?.type === "log" && warn.data.message).toMatch(/infrastructure failure \(attempt 1\)/);
  });

  it("a run cancelled half-way resumes with only the missing episodes, after its containers are removed", async () => {
    const script = JSON.stringify({ task_id: "*", turns: [{ tool_calls: [{ name: "bash", arguments: { command: "sleep 0.3; echo hi" } }] }, { content: "done" }] }) + "\n";
    const dir = toolEnv({ script, tasks: Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `t${i}`, prompt: "go" })).join("\n") + "\n" });
    const env = await loadEnvironment(dir, { git: false });
    const image = await resolveEnvImage(env);
    const first = await rollout(
      h,
      dir,
      { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` }, group: 2, concurrency: 2 },
      { env, image },
      (handle) => {
        const off = h.store.onEvent((e) => {
          if (e.runId === handle.runId && e.type === "trajectory.finished" && h.store.queryTrajectories({ runId: handle.runId }).total >= 4) {
            off();
            handle.cancel();
          }
        });
      },
    );
    expect(h.store.getRun(first.runId)?.status).toBe("cancelled");
    const before = first.trajectories.length;
    expect(before).toBeGreaterThanOrEqual(4);
    expect(before).toBeLessThan(12);
    const removed: string[] = [];
    const resumed = resumeRun(h.store, first.runId, {
      sandboxes: h.pool,
      env,
      image,
      removeRunContainers: async (id) => {
        removed.push(id);
        const { docker } = await connectDocker();
        const left = await docker.listContainers({ all: true, filters: { label: [`agentrl.run=${id}`] } });
        await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
        return left.length;
      },
    });
    const summary = await resumed.done;
    expect(removed).toEqual([first.runId]);
    expect(summary.trajectories).toBe(12);
    const all = [...h.store.iterateTrajectories(first.runId)];
    expect(new Set(all.map((t) => `${t.taskIndex}:${t.sampleIndex}`)).size).toBe(12);
    // Episodes stored before the cancel were not run again.
    const kept = first.trajectories.map((t) => [t.id, t.finishedAt]);
    for (const [id, at] of kept) expect(all.find((t) => t.id === id)?.finishedAt).toBe(at);
    expect(all.every((t) => t.advantage !== null)).toBe(true);
    expect(h.store.getRun(first.runId)?.status).toBe("finished");
  });

  it("pause stops new episodes until resume", async () => {
    const script = JSON.stringify({ task_id: "*", turns: [{ content: "done" }] }) + "\n";
    const dir = toolEnv({ script });
    let paused = false;
    let startedWhilePaused = 0;
    let handleRef: RunHandle | null = null;
    const off = h.store.onEvent((e) => {
      if (paused && e.type === "trajectory.started") startedWhilePaused++;
    });
    const r = await rollout(
      h,
      dir,
      { policy: { spec: `scripted:${path.join(dir, "s.jsonl")}` }, concurrency: 1, group: 2 },
      {
        // Called by the only worker before it takes its next episode, so the pause is in place before it looks.
        onTrajectory: (_t, p) => {
          if (p.done !== 1 || !handleRef) return;
          const handle = handleRef;
          handle.pause();
          paused = true;
          expect(h.store.getRun(handle.runId)?.status).toBe("paused");
          setTimeout(() => {
            paused = false;
            handle.resume();
          }, 300);
        },
      },
      (handle) => {
        handleRef = handle;
      },
    );
    off();
    expect(startedWhilePaused).toBe(0);
    expect(r.summary.trajectories).toBe(6);
  });
});

describe("runs that cannot start", () => {
  it("a run whose policy or environment cannot be built ends failed with the reason", async () => {
    const h2 = h;
    const bad = startRun(h2.store, { envDir: CALCULATOR_DIR, policy: { spec: "scripted:/nonexistent/ref.jsonl" }, group: 1, concurrency: 1 }, { sandboxes: h2.pool, image: "unused" });
    await expect(bad.done).rejects.toThrow(/does not exist/);
    expect(h2.store.getRun(bad.runId)).toMatchObject({ status: "failed", error: expect.stringMatching(/ref\.jsonl does not exist/) });
    const missing = startRun(h2.store, { envDir: "/nonexistent/env", policy: { spec: "noop" }, group: 1, concurrency: 1 }, { sandboxes: h2.pool });
    await expect(missing.done).rejects.toThrow(/environment folder does not exist/);
    expect(h2.store.getRun(missing.runId)?.status).toBe("failed");
    const events = h2.store.eventsAfter(0, { runId: missing.runId });
    expect(events.map((e) => (e.type === "run.status" ? e.data.status : e.type))).toEqual(["queued", "failed"]);
  });
});
