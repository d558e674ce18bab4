import { execFileSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runApiLoad } from "../../bench/api-load.js";
import { CLI } from "./serve-process.js";

beforeAll(() => {
  execFileSync(process.execPath, [path.resolve(__dirname, "../../scripts/build.mjs")], { stdio: "inherit" });
});

// The full load test is `agentrl bench api` (figures, not a pass/fail test on a shared machine);
// this small run checks that its harness measures what it claims: every event to every client once.
describe("bench api harness", () => {
  it("delivers every event to every client exactly once and reports latency and memory", async () => {
    const r = await runApiLoad({ clients: 5, ratePerS: 100, seconds: 2, eventBytes: 512, stalled: true, clientCommand: [process.execPath, CLI, "bench", "api-clients"] });
    expect(r.emitted).toBe(200);
    expect(r.clients).toBe(5);
    expect(r.delivered_total).toBe(5 * 200);
    expect([r.missing, r.duplicates, r.out_of_order]).toEqual([0, 0, 0]);
    expect(r.latency_ms.n).toBe(1000);
    expect(r.latency_ms.p50).toBeGreaterThan(0);
    expect(r.latency_ms.p99).toBeGreaterThanOrEqual(r.latency_ms.p50);
    expect(r.rss_mb.max).toBeGreaterThan(0);
    expect(r.stalled_client.held).toBe(true);
  });
});
