// swe-mini through the real rollout engine (scripted policies, real Docker, real store): the Done-when
// of the swe kind, which the engine reaches through the kind registry (remote-runner/src/envs/kinds/registry.ts).
import fs from "node:fs";
import path from "node:path";
import type { Trajectory } from "@agentrl/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceTurns } from "../../remote-runner/src/envs/kinds/swe/reference.js";
import { harness, rollout, type Harness } from "../rollout/support.js";
import { readJsonl, SWE_MINI_DIR, sweMiniTasks, tempDir } from "./support.js";

let h: Harness;

beforeAll(async () => {
  h = await harness();
});

afterAll(async () => {
  await h.close();
});

const artifactsOf = (t: Trajectory): Record<string, { sha256: string }> => (t as unknown as { artifacts?: Record<string, { sha256: string }> }).artifacts ?? {};

describe("agentrl rollout examples/swe-mini", () => {
  it("the scripted reference resolves every task; each trajectory carries its patch as a blob", async () => {
    const r = await rollout(h, SWE_MINI_DIR, { policy: { spec: `scripted:${path.join(SWE_MINI_DIR, "reference.jsonl")}` }, concurrency: 2 });
    expect(r.summary.trajectories).toBe(sweMiniTasks().length);
    expect(r.summary.errors).toBe(0);
    expect(r.summary.meanReward).toBeCloseTo(1, 6);
    for (const t of r.trajectories) {
      expect(t.reward.components.resolved).toBe(1);
      expect(t.reward.components.files_modified).toBe(1);
      const patch = artifactsOf(t).patch;
      expect(patch).toBeDefined();
      expect(h.store.getBlob(patch?.sha256 ?? "")?.bytes.toString("utf8")).toMatch(/^diff --git a\//);
      expect(t.sandboxImage).toMatch(/^agentrl\/env-swe-/);
    }
  }, 900_000);

  it("noop resolves none and scores exactly 0", async () => {
    const r = await rollout(h, SWE_MINI_DIR, { policy: { spec: "noop" }, concurrency: 2 });
    expect(r.summary.errors).toBe(0);
    expect(r.summary.meanReward).toBe(0);
    for (const t of r.trajectories) expect(t.reward.components.resolved).toBe(0);
  }, 900_000);
});

describe("hacks, regressions and bad input in one run", () => {
  it("each problem is its own trajectory's clear error or low score, and the good task still resolves", async () => {
    const dir = tempDir("env");
    fs.copyFileSync(path.join(SWE_MINI_DIR, "env.ts"), path.join(dir, "env.ts"));
    const byId = new Map(sweMiniTasks().map((t) => [t.id, t]));
    const like = (id: string, newId: string, change: Record<string, unknown> = {}): { id: string; swe: Record<string, unknown> } => {
      const t = byId.get(id) as unknown as { swe: Record<string, unknown> };
      return { ...t, id: newId, swe: { ...t.swe, instance_id: newId, repo: path.join(SWE_MINI_DIR, String(t.swe.repo)), ...change } };
    };
    const slug = like("textkit-slug-digits", "good");
    const hang = like("csvlite-blank-lines", "hanging-tests", { test_timeout_ms: 5_000 });
    hang.swe.test_patch = String(hang.swe.test_patch).replace('+    assert parse("a,b\\n\\nc,d\\n") == [["a", "b"], ["c", "d"]]', "+    while True:\n+        pass").replace("@@ -0,0 +1,5 @@", "@@ -0,0 +1,6 @@");
    const tasks = [
      slug,
      like("textkit-slug-digits", "edits-tests"),
      like("statkit-clamp-swapped", "breaks-median"),
      like("textkit-slug-digits", "bad-commit", { base_commit: "0123456789abcdef0123456789abcdef01234567" }),
      like("textkit-slug-digits", "bad-test-patch", { test_patch: "diff --git a/tests/test_slug.py b/tests/test_slug.py\n--- a/tests/test_slug.py\n+++ b/tests/test_slug.py\n@@ -1,1 +1,1 @@\n-import nothing\n+import something\n" }),
      like("statkit-mean-empty", "bad-install", { install: ["python3 -c 'import no_such_module_anywhere'"] }),
      hang,
    ];
    fs.writeFileSync(path.join(dir, "tasks.jsonl"), tasks.map((t) => JSON.stringify(t)).join("\n") + "\n");
    const ref = new Map(readJsonl<{ task_id: string; turns: unknown[] }>(path.join(SWE_MINI_DIR, "reference.jsonl")).map((e) => [e.task_id, e.turns]));
    const script = [
      { task_id: "good", turns: referenceTurns(String(slug.swe.patch)) },
      { task_id: "edits-tests", turns: [{ content: "", tool_calls: [{ name: "create", arguments: { path: "conftest.py", file_text: "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    outcome.get_result().outcome = 'passed'\n" } }, { name: "bash", arguments: { command: "rm tests/test_slug.py" } }] }, { content: "", tool_calls: [{ name: "submit", arguments: {} }] }] },
      { task_id: "breaks-median", turns: [...(ref.get("statkit-clamp-swapped") ?? []).slice(0, 2), { content: "", tool_calls: [{ name: "str_replace", arguments: { path: "statkit/stats.py", old_str: "    return data[mid]", new_str: "    return data[mid - 1]" } }] }, { content: "", tool_calls: [{ name: "submit", arguments: {} }] }] },
      { task_id: "*", turns: [{ content: "", tool_calls: [{ name: "submit", arguments: {} }] }] },
    ];
    fs.writeFileSync(path.join(dir, "policy.jsonl"), script.map((s) => JSON.stringify(s)).join("\n") + "\n");
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "policy.jsonl")}` }, concurrency: 2 });
    const by = new Map(r.trajectories.map((t) => [t.taskId, t]));
    expect(r.summary.trajectories).toBe(tasks.length);
    expect(by.get("good")?.reward.total).toBeCloseTo(1, 6);
    expect(by.get("edits-tests")?.reward.total).toBe(0);
    expect(by.get("edits-tests")?.reward.components.test_files_touched).toBe(2);
    const broken = by.get("breaks-median");
    expect(broken?.reward.components.pass_to_pass_regressions).toBeGreaterThan(0);
    expect(broken?.reward.total as number).toBeLessThan(0.5);
    const setupError = (id: string): string => by.get(id)?.error?.message ?? "";
    expect(setupError("bad-commit")).toMatch(/task "bad-commit": base_commit 0123456789abcdef0123456789abcdef01234567 does not exist/);
    expect(setupError("bad-test-patch")).toMatch(/task "bad-test-patch": test_patch does not apply/);
    expect(setupError("bad-install")).toMatch(/task "bad-install": the install commands failed/);
    const hung = by.get("hanging-tests");
    expect(hung?.reward.total).toBeNull();
    expect(hung?.reward.errors[0]?.message).toMatch(/task "hanging-tests": the tests did not finish within 5000 ms/);
  }, 900_000);
});

describe("gated accumulation of step rewards (env option swe.gatedStepRewards)", () => {
  it("edits earn step reward only in episodes whose outcome clears the gate", async () => {
    const dir = tempDir("env-gated");
    const envTs = fs.readFileSync(path.join(SWE_MINI_DIR, "env.ts"), "utf8").replace('  kind: "swe",', '  kind: "swe",\n  swe: { gatedStepRewards: { weight: 0.2, threshold: 1, perEdit: 0.5 } },');
    expect(envTs).toContain("gatedStepRewards");
    fs.writeFileSync(path.join(dir, "env.ts"), envTs);
    const t = sweMiniTasks().find((x) => x.id === "statkit-median-even") as unknown as { id: string; swe: Record<string, unknown> };
    const at = (id: string) => ({ ...t, id, swe: { ...t.swe, instance_id: id, repo: path.join(SWE_MINI_DIR, String(t.swe.repo)) } });
    fs.writeFileSync(path.join(dir, "tasks.jsonl"), `${JSON.stringify(at("fixes"))}\n${JSON.stringify(at("edits-wrongly"))}\n`);
    const wrong = { content: "", tool_calls: [{ name: "str_replace", arguments: { path: "statkit/stats.py", old_str: "    return data[mid]", new_str: "    return data[mid] + 0" } }] };
    const script = [
      { task_id: "fixes", turns: referenceTurns(String(t.swe.patch)) },
      { task_id: "edits-wrongly", turns: [wrong, { content: "", tool_calls: [{ name: "submit", arguments: {} }] }] },
    ];
    fs.writeFileSync(path.join(dir, "policy.jsonl"), script.map((x) => JSON.stringify(x)).join("\n") + "\n");
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "policy.jsonl")}` }, concurrency: 2 });
    const by = new Map(r.trajectories.map((x) => [x.taskId, x]));
    expect(by.get("fixes")?.reward.components.step_rewards).toBe(0.5);
    expect(by.get("fixes")?.reward.total).toBeCloseTo(1 + 0.2 * 0.5, 6);
    expect(by.get("edits-wrongly")?.reward.components.step_rewards_ungated).toBe(0.5);
    expect(by.get("edits-wrongly")?.reward.components.step_rewards).toBe(0);
    expect(by.get("edits-wrongly")?.reward.total).toBe(0);
  }, 600_000);
});
