import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventPage, TrajectoryPage } from "@agentrl/protocol";
import { RunnerClient } from "../../remote-runner/src/api/client.js";
import { SANDBOXES_RELEASED } from "../../remote-runner/src/api/run-manager.js";
import { connectDocker } from "../../remote-runner/src/docker/engine.js";
import { LABEL_RUN } from "../../remote-runner/src/sandbox/labels.js";
import { tempHome } from "./fixture.js";
import { uploadCalculator } from "./runner-fixture.js";
import { CLI, startServe, stopServes, type ServeProcess } from "./serve-process.js";

const TOKEN = "crash-test-token-0123456789abcdef";
let home: string;
const servers: ServeProcess[] = [];

beforeAll(() => {
  // The test drives the real CLI bundle; build it from the current sources.
  execFileSync(process.execPath, [path.resolve(__dirname, "../../scripts/build.mjs")], { stdio: "inherit" });
  home = tempHome("agentrl-crash-");
});
afterAll(async () => {
  await stopServes(servers);
  fs.rmSync(home, { recursive: true, force: true });
});

async function runContainers(runId: string): Promise<number> {
  const { docker } = await connectDocker();
  return (await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`] } })).length;
}

describe("kill -9 in the middle of a run", () => {
  it("a restarted runner keeps finished trajectories, re-runs the in-flight ones, reaps their containers and finishes with exactly 200", async () => {
    const env = { AGENTRL_HOME: home, AGENTRL_TOKEN: TOKEN };
    const first = await startServe(env, ["--max-sandboxes", "8"]);
    servers.push(first);
    const client1 = new RunnerClient(first.url, TOKEN);
    const sha = await uploadCalculator(client1);
    const run = await client1.createRun({ env: sha, policy: { spec: "scripted:reference.jsonl" }, tasks: 50, group: 4, concurrency: 8 });
    // A user following the run with `agentrl logs -f` across the crash and the restart.
    const follower = spawn(process.execPath, [CLI, "logs", "-f", run.id, "--json", "--runner", first.url], { env: { ...process.env, AGENTRL_TOKEN: TOKEN }, stdio: ["ignore", "pipe", "pipe"] });
    let followed = "";
    let followerErr = "";
    follower.stdout.on("data", (d: Buffer) => (followed += d.toString()));
    follower.stderr.on("data", (d: Buffer) => (followerErr += d.toString()));
    const followerExit = new Promise<number | null>((resolve) => follower.once("exit", (code) => resolve(code)));

    // Follow until a good part of the run is done while episodes are in flight, then kill -9.
    let finishedBeforeKill = 0;
    let lastSeq = 0;
    await client1.follow({
      runId: run.id,
      onEvent: (e) => {
        lastSeq = e.seq;
        if (e.type === "trajectory.finished") finishedBeforeKill++;
        return finishedBeforeKill < 60;
      },
    });
    const inFlightContainers = await runContainers(run.id);
    process.kill(first.pid, "SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    // The crash left the run "running" and its sandboxes behind.
    expect(inFlightContainers).toBeGreaterThan(0);
    const kept = (await import("../../remote-runner/src/store/store.js")).openStore(home);
    const atCrash = kept.getRun(run.id);
    const storedAtCrash = new Map([...kept.iterateTrajectories(run.id)].map((t) => [t.id, t.finishedAt]));
    kept.close();
    expect(atCrash?.status).toBe("running");
    expect(storedAtCrash.size).toBeGreaterThanOrEqual(60);
    expect(storedAtCrash.size).toBeLessThan(200);

    const killedAt = performance.now();
    // Restart on the same data folder and port: it resumes the run by itself.
    const second = await startServe(env, ["--max-sandboxes", "8", "--port", new URL(first.url).port]);
    servers.push(second);
    const client2 = new RunnerClient(second.url, TOKEN);
    let end: { status: string } | null = null;
    await client2.follow({
      runId: run.id,
      after: lastSeq, // the client resumes the stream where it was cut
      onEvent: (e) => {
        if (e.type === "run.status" && ["finished", "failed", "cancelled"].includes(e.data.status)) {
          end = e.data;
          return false;
        }
        return true;
      },
    });
    expect(end).toMatchObject({ status: "finished" });
    const reaped = Number(/removed (\d+) sandbox container/.exec(second.stderr())?.[1] ?? 0);
    console.log(JSON.stringify({ stored_at_crash: storedAtCrash.size, containers_at_crash: inFlightContainers, reaped_at_restart: reaped, seconds_from_kill_to_finished: Math.round((performance.now() - killedAt) / 100) / 10 }));
    expect(second.stderr()).toMatch(/resumed 1 run/);

    const page = await client2.json<TrajectoryPage>("GET", `/v1/runs/${run.id}/trajectories?limit=1000`);
    expect(page.total).toBe(200);
    expect(new Set(page.items.map((t) => `${t.taskId}#${t.sampleIndex}`)).size).toBe(200);
    expect(page.items.every((t) => t.status === "finished" && t.reward === 1)).toBe(true);
    // Every trajectory finished before the crash is the same stored one, not a re-run.
    const after = new Map(page.items.map((t) => [t.id, t.finishedAt]));
    for (const [id, finishedAt] of storedAtCrash) expect(after.get(id)).toBe(finishedAt);
    const final = await client2.getRun(run.id);
    expect(final.status).toBe("finished");
    expect(final.summary?.trajectories).toBe(200);
    const events = await client2.json<EventPage>("GET", `/v1/runs/${run.id}/events?limit=5000`);
    expect(events.items.some((e) => e.type === "log" && /runner restarted while the run was running/.test(e.data.message))).toBe(true);

    // The follower reconnected by itself and saw every event of the run exactly once, in order.
    expect(await followerExit).toBe(0);
    expect(followerErr).toMatch(/stream interrupted .*; resuming after seq \d+/);
    const followedSeqs = followed.trim().split("\n").map((l) => (JSON.parse(l) as { seq: number }).seq);
    const endSeq = followedSeqs.at(-1) as number; // the run's final status event
    const storedSeqs = (await client2.json<{ items: { seq: number }[] }>("GET", `/v1/runs/${run.id}/events?limit=5000`)).items.map((e) => e.seq);
    expect(followedSeqs).toEqual(storedSeqs.filter((seq) => seq <= endSeq));

    // No orphan: once the runner says the run's sandboxes are released, none is left, even before it stops.
    await client2.follow({ runId: run.id, after: endSeq, onEvent: (e) => !(e.type === "log" && e.data.message === SANDBOXES_RELEASED) });
    expect(await runContainers(run.id)).toBe(0);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe("0");
    expect(await runContainers(run.id)).toBe(0);
  });
});
