// Live episodes through the runner API with real Docker sandboxes: a tool that sleeps past the
// run's stall threshold is flagged (an event naming the episode, the tool and the time), listed
// with what it waits on, and killed or requeued through the API; the run then ends on its own.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveEpisodes, Run, RunEvent } from "@agentrl/protocol";
import { RunnerError, type RunnerClient } from "../../remote-runner/src/api/client.js";
import type { Runner } from "../../remote-runner/src/api/runner-server.js";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { startTestRunner } from "./runner-fixture.js";

const STALL = path.resolve(__dirname, "../fixtures/stall");
let runner: Runner;
let client: RunnerClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ runner, client, close } = await startTestRunner({ maxSandboxes: 4 }));
});
afterAll(async () => {
  await close();
});

/** Resolves with the first event of the run that `pred` accepts (already stored or still to come). */
function waitForEvent(runId: string, pred: (e: RunEvent) => boolean): Promise<RunEvent> {
  return new Promise((resolve) => {
    const seen = runner.store.eventsAfter(0, { runId, limit: 100_000 }).find(pred);
    if (seen) return resolve(seen);
    const off = runner.store.onEvent((e) => {
      if (e.runId === runId && pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

const json = async <T>(method: string, p: string, body?: unknown): Promise<T> => client.json<T>(method, p, body);

describe("live episodes", () => {
  it("flags a tool that sleeps past the threshold, lists it, and kills or requeues it through the API", async () => {
    const { tarGz } = await bundleEnv(STALL);
    const env = (await client.uploadEnvironment(tarGz, "stall")).sha256;
    const run = await client.createRun({ env, policy: { spec: "scripted:reference.jsonl" }, group: 2, concurrency: 2, stallAfterS: 2 });
    const stalled = (i: number) => waitForEvent(run.id, (e) => e.type === "episode.stalled" && e.data.sampleIndex === i);
    const [s0, s1] = await Promise.all([stalled(0), stalled(1)]);
    for (const s of [s0, s1]) {
      expect(s).toMatchObject({ type: "episode.stalled", data: { taskId: "stall-1", turn: 0, phase: "tool", detail: "wait", thresholdMs: 2000 } });
      if (s.type === "episode.stalled") expect(s.data.sinceMs).toBeGreaterThanOrEqual(2000);
    }
    const live = await json<LiveEpisodes>("GET", `/v1/runs/${run.id}/episodes`);
    expect(live.stallAfterMs).toBe(2000);
    expect(live.episodes.map((e) => [e.sampleIndex, e.phase, e.detail, e.stalled]).sort()).toEqual([
      [0, "tool", "wait", true],
      [1, "tool", "wait", true],
    ]);
    // The policy answered (it asked for the tool): healthy, nobody waiting on it.
    expect(live.policy).toMatchObject({ state: "ok", waiting: 0, lastError: null });

    const id0 = `${run.id}:0:0`;
    const id1 = `${run.id}:0:1`;
    // Requeue sample 1: it starts again from the start (attempt 2) and stalls again.
    await json("POST", `/v1/runs/${run.id}/episodes/${encodeURIComponent(id1)}/kill`, { requeue: true });
    await waitForEvent(run.id, (e) => e.type === "trajectory.started" && e.data.trajectoryId === id1 && e.data.attempt === 1);
    // Kill sample 0: it ends at once as an infrastructure failure that says why.
    const t0 = Date.now();
    await json("POST", `/v1/runs/${run.id}/episodes/${encodeURIComponent(id0)}/kill`, {});
    const fin = await waitForEvent(run.id, (e) => e.type === "trajectory.finished" && e.data.id === id0);
    expect(Date.now() - t0).toBeLessThan(30_000); // not the 240 s the tool asked for
    expect(fin).toMatchObject({ data: { status: "infra_error", stopReason: "infra_error" } });
    if (fin.type === "trajectory.finished") expect(fin.data.error).toMatch(/killed from outside after \d+ s waiting on tool \(wait\) at turn 0/);
    // Unknown or finished episodes are a 404 that names the fix.
    const err = await json("POST", `/v1/runs/${run.id}/episodes/${encodeURIComponent(id0)}/kill`, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as RunnerError).message).toMatch(/not in flight .* GET \/v1\/runs\/.*\/episodes/);
    // The requeued one stalls again; killing it ends the run.
    await waitForEvent(run.id, (e) => e.type === "episode.stalled" && e.data.trajectoryId === id1 && e.seq > fin.seq);
    await json("POST", `/v1/runs/${run.id}/episodes/${encodeURIComponent(id1)}/kill`, {});
    const end = await waitForEvent(run.id, (e) => e.type === "run.status" && e.data.status === "finished");
    expect(end.type === "run.status" && end.data.summary).toMatchObject({ trajectories: 2, infraErrors: 2 });
    const t1 = runner.store.getTrajectory(id1);
    expect(t1?.infraErrors).toEqual([expect.stringMatching(/requeued from outside/), expect.stringMatching(/killed from outside/)]);
    expect((await json<LiveEpisodes>("GET", `/v1/runs/${run.id}/episodes`)).episodes).toEqual([]);
    expect(((await client.getRun(run.id)) as Run).status).toBe("finished");
  });
});
