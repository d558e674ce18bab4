// The swe-mini example end to end through the swe kind, against the real Docker engine and real git:
// the reference (gold patch through the agent tools) resolves every task; doing nothing resolves none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweKind } from "../../remote-runner/src/envs/kinds/swe/kind.js";
import { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import { referenceScripts, runScripted, SWE_MINI_DIR, sweMiniTasks, tempDir, TEST_LABELS } from "./support.js";

let provider: DockerSandboxProvider;

beforeAll(async () => {
  process.env.AGENTRL_HOME = tempDir("home");
  provider = await DockerSandboxProvider.connect();
});

afterAll(async () => {
  await provider.removeByLabels(TEST_LABELS);
});

describe("swe-mini through the swe kind", () => {
  const kind = () => sweKind({ dir: SWE_MINI_DIR, provider });
  const tasks = sweMiniTasks();

  it("has at least 10 tasks", () => {
    expect(tasks.length).toBeGreaterThanOrEqual(10);
  });

  it.each(tasks.map((t) => [t.id, t] as const))("reference resolves %s", async (_id, task) => {
    const script = referenceScripts().get(task.id);
    expect(script).toBeDefined();
    const r = await runScripted(kind(), provider, task, script ?? []);
    expect(r.outputs.filter((o) => o.startsWith("Error"))).toEqual([]);
    expect(r.score.resolved).toBe(true);
    expect(r.reward.components.resolved).toBe(1);
    expect(r.reward.components.fail_to_pass).toBe(1);
    expect(r.reward.components.pass_to_pass_regressions).toBe(0);
    expect(r.reward.components.files_modified).toBe(1);
    expect(r.reward.total).toBeCloseTo(1, 6);
    expect(r.artifacts.patch).toBeDefined();
    const patch = r.blobs.data.get(r.artifacts.patch?.sha256 ?? "")?.toString("utf8") ?? "";
    expect(patch).toContain("diff --git");
  }, 600_000);

  it.each(tasks.map((t) => [t.id, t] as const))("doing nothing resolves none: %s", async (_id, task) => {
    const r = await runScripted(kind(), provider, task, [{ content: "nothing", tool_calls: [{ name: "submit", arguments: {} }] }]);
    expect(r.score.resolved).toBe(false);
    expect(r.score.failToPass.passed).toBe(0);
    expect(r.reward.total).toBe(0);
    expect(r.artifacts.patch).toBeUndefined();
  }, 600_000);
});
