import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STREAM_CLOSE_SLOW_CONSUMER } from "@agentrl/protocol";
import { startTestServer, type TestServer } from "./fixture.js";
import { WebSocket } from "ws";
import { RawStreamClient, StreamClient } from "./stream-client.js";

let s: TestServer;
const HIGH_WATER = 64 * 1024;
const HARD_LIMIT = 512 * 1024;
beforeAll(async () => {
  s = await startTestServer({ stream: { highWaterBytes: HIGH_WATER, hardLimitBytes: HARD_LIMIT, stallTimeoutMs: 1500, checkIntervalMs: 50, pageSize: 50, closeGraceMs: 20_000, subscribeTimeoutMs: 300, maxClients: 4 } });
  s.store.createRun({ id: "run-a", config: { envDir: "/x", policy: { spec: "noop" }, group: 1, concurrency: 1 }, envName: "e", envHash: "h" });
  s.store.createRun({ id: "run-b", config: { envDir: "/x", policy: { spec: "noop" }, group: 1, concurrency: 1 }, envName: "e", envHash: "h" });
});
afterAll(async () => {
  await s.close();
});

function emit(n: number, runId = "run-a", payload = ""): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) seqs.push(s.store.appendEvent(runId, "log", { level: "info", message: `m${i}${payload}` }).seq);
  return seqs;
}

const seqsOf = (c: StreamClient): number[] => c.events.map((e) => e.seq);

describe("/v1/events", () => {
  it("replays the log after ?after=, then goes live, without gaps or duplicates", async () => {
    const first = emit(120); // more than two catch-up pages
    const c = new StreamClient(`${s.wsUrl}?after=${first[9]}`, s.token);
    await c.until((x) => x.isLive());
    expect(seqsOf(c)).toEqual(first.slice(10));
    const more = emit(30);
    await c.until((x) => x.lastSeq() === more.at(-1));
    expect(seqsOf(c)).toEqual([...first.slice(10), ...more]);
    await c.close();
  });

  it("a reconnect with the last id gets exactly the missed events", async () => {
    const c1 = new StreamClient(`${s.wsUrl}?after=0`, s.token);
    await c1.until((x) => x.isLive());
    const before = emit(20);
    await c1.until((x) => x.lastSeq() === before.at(-1));
    const last = c1.lastSeq();
    await c1.close();
    const missed = emit(37); // written while nobody listened
    const c2 = new StreamClient(`${s.wsUrl}?after=${last}`, s.token);
    await c2.until((x) => x.isLive());
    const after = emit(5);
    await c2.until((x) => x.lastSeq() === after.at(-1));
    expect(seqsOf(c2)).toEqual([...missed, ...after]);
    // Across both connections: every event once, in order.
    const all = [...seqsOf(c1), ...seqsOf(c2)];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    await c2.close();
  });

  it("accepts a first subscribe message instead of ?after=, with a run filter", async () => {
    const mark = emit(1)[0] as number;
    const c = new StreamClient(s.wsUrl, s.token);
    await c.opened();
    c.ws.send(JSON.stringify({ after: mark, runId: "run-b" }));
    await c.until((x) => x.isLive());
    const a = emit(3, "run-a");
    const b = emit(4, "run-b");
    await c.until((x) => x.lastSeq() === b.at(-1));
    expect(seqsOf(c)).toEqual(b);
    expect(c.events.every((e) => e.runId === "run-b")).toBe(true);
    expect(a.length).toBe(3);
    await c.close();
  });

  it("closes a bad subscribe message with 4400 and a reason", async () => {
    const c = new StreamClient(s.wsUrl, s.token);
    await c.opened();
    c.ws.send('{"after": "yesterday"}');
    await c.until((x) => x.closed !== null);
    expect(c.closed).toEqual({ code: 4400, reason: "after must be a non-negative integer" });
  });

  it("closes a client that never subscribes, and refuses clients past the limit", async () => {
    const silent = new StreamClient(s.wsUrl, s.token);
    await silent.until((x) => x.closed !== null);
    expect(silent.closed?.code).toBe(4400);
    expect(silent.closed?.reason).toMatch(/no subscribe message/);
    const held = Array.from({ length: 4 }, () => new StreamClient(`${s.wsUrl}?after=0`, s.token));
    await Promise.all(held.map((c) => c.until((x) => x.isLive())));
    const status = await new Promise<number>((resolve) => {
      const extra = new WebSocket(`${s.wsUrl}?after=0`, { headers: { Authorization: `Bearer ${s.token}` } });
      extra.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      extra.on("open", () => resolve(101));
      extra.on("error", () => undefined);
    });
    expect(status).toBe(503);
    await Promise.all(held.map((c) => c.close()));
  });

  it("drops a stalled client with a resumable marker, keeps its buffer bounded, and the client resumes exactly", async () => {
    const start = emit(1)[0] as number;
    const stalled = new RawStreamClient(`${s.wsUrl}?after=${start}`, s.token);
    const healthy = new StreamClient(`${s.wsUrl}?after=${start}`, s.token);
    await stalled.until((x) => x.isLive());
    await healthy.until((x) => x.isLive());
    // Stop reading: the kernel buffers fill, then the server's queue for this client would grow.
    stalled.pause();
    const payload = "x".repeat(4 * 1024);
    const written: number[] = [];
    // Keep writing until the server gives up on the stalled client (bounded by the test timeout).
    while (s.stream.stats().dropped === 0) {
      written.push(...emit(20, "run-a", payload));
      await new Promise((r) => setTimeout(r, 10)); // pace the writer: sockets flush and the stall check runs
    }
    expect(written.length * payload.length).toBeGreaterThan(HARD_LIMIT); // it really was pushed past the limit
    expect(s.stream.stats().maxBufferedBytes).toBeLessThanOrEqual(HARD_LIMIT + 64 * 1024);
    expect(healthy.closed).toBeNull(); // the client that reads was never the one dropped
    await healthy.until((x) => x.lastSeq() === written.at(-1));
    expect(seqsOf(healthy)).toEqual(written);
    // Reading again, the stalled client gets what was in flight, then the close with the marker.
    stalled.resume();
    await stalled.until((x) => x.closeFrame !== null);
    expect(stalled.closeFrame?.code).toBe(STREAM_CLOSE_SLOW_CONSUMER);
    const marker = JSON.parse(stalled.closeFrame?.reason ?? "{}") as { resumeAfter: number };
    expect(marker.resumeAfter).toBeGreaterThanOrEqual(start);
    expect(stalled.lastSeq()).toBeGreaterThanOrEqual(marker.resumeAfter);
    expect(stalled.lastSeq()).toBeLessThan(written.at(-1) as number);
    stalled.destroy();
    // Resume from its own last seq: the rest arrives exactly once.
    const resumed = new StreamClient(`${s.wsUrl}?after=${stalled.lastSeq()}`, s.token);
    await resumed.until((x) => x.isLive());
    expect([...stalled.events.map((e) => e.seq), ...seqsOf(resumed)]).toEqual(written);
    await resumed.close();
    await healthy.close();
  });
});
