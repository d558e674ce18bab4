import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runApiFuzz } from "../../bench/api-fuzz.js";
import type { Runner } from "../../remote-runner/src/api/runner-server.js";
import { startTestRunner } from "./runner-fixture.js";

let runner: Runner;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ runner, close } = await startTestRunner());
});
afterAll(async () => {
  await close();
});

describe("fuzz pass", () => {
  it("3000 malformed requests against the real runner: every one answered without a 5xx, and it stays up", async () => {
    const r = await runApiFuzz({ url: runner.url, token: runner.token.token, count: 3000, seed: 7 });
    console.log(JSON.stringify(r));
    expect(r.requests).toBe(3000);
    expect(r.examples_of_5xx).toEqual([]);
    expect(r.server_errors).toBe(0);
    expect(r.timeouts).toBe(0);
    expect(r.examples_of_no_answer).toEqual([]);
    expect(r.healthy_after).toBe(true);
    // The answers are the specific refusals, not one catch-all.
    for (const status of ["400", "401", "404", "413", "415", "431"]) expect(r.by_status[status] ?? 0, status).toBeGreaterThan(0);
    // Nothing malformed created a run.
    expect(runner.store.listRuns()).toEqual([]);
  });
});
