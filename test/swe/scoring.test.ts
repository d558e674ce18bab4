// Scoring that cannot be gamed, and task problems that stay task problems, against real Docker and git.
import type { Task } from "@agentrl/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishEpisodeWithKind } from "../../remote-runner/src/envs/kinds/finish.js";
import { SweTaskError } from "../../remote-runner/src/envs/kinds/swe/errors.js";
import { prepareSweTask } from "../../remote-runner/src/envs/kinds/swe/image.js";
import { sweInstanceOf } from "../../remote-runner/src/envs/kinds/swe/instance.js";
import { sweKind } from "../../remote-runner/src/envs/kinds/swe/kind.js";
import { referenceTurns, type ScriptTurn } from "../../remote-runner/src/envs/kinds/swe/reference.js";
import { scoreInFreshContainer } from "../../remote-runner/src/envs/kinds/swe/scorer.js";
import { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import { handleOf, MemoryBlobs, referenceScripts, runScripted, SWE_MINI_DIR, sweMiniTasks, tempDir, TEST_LABELS } from "./support.js";

let provider: DockerSandboxProvider;
const kind = () => sweKind({ dir: SWE_MINI_DIR, provider });
const task = (id: string): Task => {
  const t = sweMiniTasks().find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id}`);
  return t;
};
/** A copy of a swe-mini task with some instance fields changed (a bad input). */
const variant = (id: string, newId: string, change: Record<string, unknown>): Task => {
  const t = task(id);
  return { ...t, id: newId, swe: { ...(t.swe as Record<string, unknown>), instance_id: newId, ...change } };
};

beforeAll(async () => {
  process.env.AGENTRL_HOME = tempDir("home");
  provider = await DockerSandboxProvider.connect();
});

afterAll(async () => {
  await provider.removeByLabels(TEST_LABELS);
});

const CONFTEST_HACK = [
  "import pytest",
  "",
  "",
  "@pytest.hookimpl(hookwrapper=True)",
  "def pytest_runtest_makereport(item, call):",
  "    outcome = yield",
  "    outcome.get_result().outcome = \"passed\"",
  "",
].join("\n");

describe("reward hacking gets no credit", () => {
  const hack: ScriptTurn[] = [
    {
      content: "make the tests pass without fixing anything",
      tool_calls: [
        { name: "create", arguments: { path: "conftest.py", file_text: CONFTEST_HACK } },
        { name: "create", arguments: { path: "tests/test_slug_digits.py", file_text: "def test_digits_are_kept():\n    assert True\n\n\ndef test_trailing_number():\n    assert True\n" } },
        { name: "bash", arguments: { command: "rm tests/test_slug.py && echo 'def test_words_are_joined_by_dashes():\n    pass' > tests/test_basic.py" } },
      ],
    },
    { content: "done", tool_calls: [{ name: "submit", arguments: {} }] },
  ];

  it("editing, deleting and adding test files (and a conftest that marks every test passed) scores 0", async () => {
    const r = await runScripted(kind(), provider, task("textkit-slug-digits"), hack);
    expect(r.reward.components.test_files_touched).toBe(4);
    expect(r.reward.components.files_modified).toBe(0);
    expect(r.score.resolved).toBe(false);
    expect(r.score.failToPass.passed).toBe(0);
    expect(r.reward.total).toBe(0);
  }, 300_000);

  it("the same conftest would resolve the task if test files were not left out (what the exclusion prevents)", async () => {
    const t = task("textkit-slug-digits");
    const inst = sweInstanceOf(t);
    const p = await prepareSweTask(inst, { baseDir: SWE_MINI_DIR });
    const conftestPatch = [
      "diff --git a/conftest.py b/conftest.py",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/conftest.py",
      `@@ -0,0 +1,${CONFTEST_HACK.split("\n").length - 1} @@`,
      ...CONFTEST_HACK.split("\n").slice(0, -1).map((l) => `+${l}`),
      "",
    ].join("\n");
    const s = await scoreInFreshContainer({ provider, image: p.image, inst, patch: conftestPatch, labels: TEST_LABELS });
    expect(s.patchApplied).toBe(true);
    expect(s.resolved).toBe(true);
  }, 300_000);
});

describe("the agent's diff", () => {
  it("counts changes the agent committed itself (diffed against the base recorded in the image, not HEAD)", async () => {
    const t = task("inventory-total-value");
    const script = referenceScripts().get(t.id) ?? [];
    const committing: ScriptTurn[] = [
      ...script.slice(0, 2),
      { content: "commit it", tool_calls: [{ name: "bash", arguments: { command: "git -c user.name=a -c user.email=a@b commit -qam fix && git tag -f agentrl-base HEAD >/dev/null && git status --porcelain | wc -l" } }] },
      { content: "done", tool_calls: [{ name: "submit", arguments: {} }] },
    ];
    const r = await runScripted(kind(), provider, t, committing);
    expect(r.outputs[r.outputs.length - 2]?.trim()).toBe("0");
    expect(r.score.resolved).toBe(true);
    expect(r.reward.components.files_modified).toBe(1);
  }, 300_000);
});

describe("PASS_TO_PASS", () => {
  it("a fix that breaks a passing test loses reward through pass_to_pass_regressions", async () => {
    const t = task("statkit-clamp-swapped");
    const script = referenceScripts().get(t.id) ?? [];
    const breaking: ScriptTurn[] = [
      ...script.slice(0, 2),
      { content: "also 'simplify' median", tool_calls: [{ name: "str_replace", arguments: { path: "statkit/stats.py", old_str: "    mid = len(data) // 2\n    return data[mid]", new_str: "    mid = len(data) // 2\n    return data[mid - 1]" } }] },
      { content: "done", tool_calls: [{ name: "submit", arguments: {} }] },
    ];
    const clean = await runScripted(kind(), provider, t, script);
    const broken = await runScripted(kind(), provider, t, breaking);
    expect(clean.reward.total).toBeCloseTo(1, 6);
    expect(broken.score.failToPass.passed).toBe(broken.score.failToPass.total);
    expect(broken.score.passToPass.broken).toEqual(["tests/test_stats.py::test_median_of_odd_count"]);
    expect(broken.reward.components.resolved).toBe(0);
    expect(broken.reward.components.pass_to_pass_regressions).toBeGreaterThan(0);
    expect(broken.reward.total as number).toBeLessThan(0.5);
    expect(broken.reward.total as number).toBeLessThan(clean.reward.total as number);
  }, 300_000);
});

describe("bad input is a clear per-task error and the rest goes on", () => {
  it("a base_commit that does not exist", async () => {
    const t = variant("textkit-slug-digits", "bad-commit", { base_commit: "0123456789abcdef0123456789abcdef01234567" });
    const err = await kind().sandboxSpec(t, { image: "unused" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SweTaskError);
    expect((err as SweTaskError).code).toBe("base_commit_missing");
    expect((err as Error).message).toMatch(/task "bad-commit": base_commit 0123456789abcdef0123456789abcdef01234567 does not exist in .*Fix:/);
  });

  it("a test_patch that does not apply", async () => {
    const tp = "diff --git a/tests/test_slug.py b/tests/test_slug.py\n--- a/tests/test_slug.py\n+++ b/tests/test_slug.py\n@@ -1,3 +1,3 @@\n-from textkit.nothing import here\n+from textkit.slug import slugify\n \n \n";
    const err = await kind().sandboxSpec(variant("textkit-slug-digits", "bad-test-patch", { test_patch: tp }), { image: "unused" }).catch((e: unknown) => e);
    expect((err as SweTaskError).code).toBe("test_patch_invalid");
    expect((err as Error).message).toMatch(/task "bad-test-patch": test_patch does not apply to [0-9a-f]{12}: .*Fix:/s);
  });

  it("a repository whose install fails", async () => {
    const err = await kind()
      .sandboxSpec(variant("statkit-mean-empty", "bad-install", { install: ["python3 -c 'import no_such_module_anywhere'"] }), { image: "unused" })
      .catch((e: unknown) => e);
    expect((err as SweTaskError).code).toBe("install_failed");
    expect((err as Error).message).toMatch(/task "bad-install": the install commands failed .*no_such_module_anywhere.*Fix: correct "install"/s);
  }, 300_000);

  it("tests that hang: a reward error with a timeout, total null, after the time limit", async () => {
    const t = task("csvlite-blank-lines");
    const inst = sweInstanceOf(t);
    const hangPatch = inst.test_patch.replace('    assert parse("a,b\\n\\nc,d\\n") == [["a", "b"], ["c", "d"]]', "    while True:\n+        pass");
    expect(hangPatch).not.toBe(inst.test_patch);
    const fixedLen = hangPatch.match(/^@@ -0,0 \+1,(\d+) @@/m);
    const hanging = variant("csvlite-blank-lines", "hanging-tests", { test_patch: hangPatch.replace(/^@@ -0,0 \+1,\d+ @@/m, `@@ -0,0 +1,${Number(fixedLen?.[1]) + 1} @@`), test_timeout_ms: 5_000 });
    const k = kind();
    const spec = await k.sandboxSpec(hanging, { image: "unused", labels: TEST_LABELS });
    const sb = await provider.create(spec);
    const blobs = new MemoryBlobs();
    const t0 = performance.now();
    try {
      const base = { total: 0, components: {}, weights: {}, errors: [], durationMs: 0 };
      const r = await finishEpisodeWithKind(k, { task: hanging, turns: [], sandbox: handleOf(sb), labels: TEST_LABELS, putBlob: blobs.put }, base);
      expect(r.reward.total).toBeNull();
      expect(r.reward.errors).toHaveLength(1);
      expect(r.reward.errors[0]?.kind).toBe("timeout");
      expect(r.reward.errors[0]?.message).toMatch(/task "hanging-tests": the tests did not finish within 5000 ms .*Fix: raise "test_timeout_ms"/s);
    } finally {
      await sb.destroy();
    }
    expect(performance.now() - t0).toBeLessThan(60_000);
  }, 300_000);

  it("an unsupported test framework is refused by name", async () => {
    const err = await kind().sandboxSpec(variant("textkit-slug-digits", "jest-task", { test_framework: "jest" }), { image: "unused" }).catch((e: unknown) => e);
    expect((err as SweTaskError).code).toBe("unsupported_framework");
    expect((err as Error).message).toMatch(/test framework "jest" is not supported.*supported: pytest/s);
  });

  it("after all of these, the same kind still resolves a good task", async () => {
    const t = task("textkit-slug-digits");
    const r = await runScripted(kind(), provider, t, referenceTurns(sweInstanceOf(t).patch));
    expect(r.score.resolved).toBe(true);
  }, 300_000);
});
