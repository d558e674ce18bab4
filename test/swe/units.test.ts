// The pure parts of the swe kind: report parser, instance reader, test-file rules, truncation,
// gated step rewards, and the reproducible swe-mini repositories and task files.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SweTaskError } from "../../remote-runner/src/envs/kinds/swe/errors.js";
import { sweInstanceOf } from "../../remote-runner/src/envs/kinds/swe/instance.js";
import { isTestPath, parseHunks, patchFiles } from "../../remote-runner/src/envs/kinds/swe/patch.js";
import { assertSupportedFramework, parsePytestReport } from "../../remote-runner/src/envs/kinds/swe/pytest-report.js";
import { gatedAccumulate, stepRewards, sweReward } from "../../remote-runner/src/envs/kinds/swe/reward.js";
import { truncateOutput } from "../../remote-runner/src/envs/kinds/swe/truncate.js";
import { SWE_MINI_DIR, tempDir } from "./support.js";

const PYTEST_OUT = `============================= test session starts ==============================
platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0+repack
collected 5 items

tests/test_a.py .F.sE                                                    [100%]

==================================== ERRORS ====================================
=========================== short test summary info ============================
PASSED tests/test_a.py::test_ok
PASSED tests/test_a.py::test_param[a b - c]
SKIPPED [1] tests/test_a.py:12: no network
FAILED tests/test_a.py::test_bad - AssertionError: assert 1 == 2
ERROR tests/test_a.py::test_fixture - RuntimeError: boom
XFAIL tests/test_a.py::test_known - reason: later
=================== 1 failed, 2 passed, 1 skipped, 1 error in 0.05s ===================
`;

describe("pytest report parser", () => {
  it("reads a status per test id from the -rA summary", () => {
    const r = parsePytestReport(PYTEST_OUT);
    expect(Object.fromEntries(r)).toEqual({
      "tests/test_a.py::test_ok": "PASSED",
      "tests/test_a.py::test_param[a b - c]": "PASSED",
      "tests/test_a.py::test_bad": "FAILED",
      "tests/test_a.py::test_fixture": "ERROR",
      "tests/test_a.py::test_known": "XFAIL",
    });
  });

  it("refuses output that is not a pytest report", () => {
    expect(() => parsePytestReport("Ran 3 tests in 0.001s\n\nOK\n")).toThrow(/not a pytest report/);
  });

  it("says clearly when a framework is unsupported", () => {
    expect(() => assertSupportedFramework("unittest", "t1")).toThrow(SweTaskError);
    expect(() => assertSupportedFramework("unittest", "t1")).toThrow(/task "t1": test framework "unittest" is not supported: .*Fix: run the tests with pytest/s);
    expect(() => assertSupportedFramework("pytest")).not.toThrow();
  });
});

describe("instances", () => {
  const base = { id: "x", repo: "a/b", base_commit: "a".repeat(40), problem_statement: "p", test_patch: "diff", FAIL_TO_PASS: '["t::a"]', PASS_TO_PASS: "[]" };
  it("accepts SWE-bench's JSON-string lists and the project's arrays alike", () => {
    expect(sweInstanceOf(base).FAIL_TO_PASS).toEqual(["t::a"]);
    expect(sweInstanceOf({ id: "y", swe: { ...base, FAIL_TO_PASS: ["t::b"] } }).FAIL_TO_PASS).toEqual(["t::b"]);
  });
  it("names the field and the fix", () => {
    expect(() => sweInstanceOf({ ...base, base_commit: "main" })).toThrow(/"base_commit" "main" is not a commit hash.*Fix/);
    expect(() => sweInstanceOf({ ...base, FAIL_TO_PASS: "[]" })).toThrow(/"FAIL_TO_PASS" is empty/);
    expect(() => sweInstanceOf({ ...base, test_patch: undefined })).toThrow(/"test_patch" is missing/);
  });
});

describe("test files and patches", () => {
  it("treats tests, conftest and pytest config as test files, and every file of the hidden test patch", () => {
    for (const f of ["tests/test_x.py", "pkg/tests/helpers.py", "test_y.py", "pkg/z_test.py", "conftest.py", "pytest.ini", "tox.ini"]) expect(isTestPath(f)).toBe(true);
    for (const f of ["pkg/mod.py", "setup.py", "pkg/testing_utils_impl.py", "docs/tests.md"]) expect(isTestPath(f)).toBe(false);
    expect(isTestPath("pkg/data.json", new Set(["pkg/data.json"]))).toBe(true);
  });
  it("lists the files of a diff and splits hunks into before/after text", () => {
    const d = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n";
    expect(patchFiles(d)).toEqual(["m.py"]);
    expect(parseHunks(d)).toEqual([{ file: "m.py", before: "a\nb\nc", after: "a\nB\nc", newFile: false }]);
  });
});

describe("truncation", () => {
  it("keeps head and tail and says how to see the rest", () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join("\n");
    const out = truncateOutput(text, "use view_range", 1000);
    expect(out.length).toBeLessThan(1200);
    expect(out).toContain("line 0");
    expect(out).toContain("line 4999");
    expect(out).toMatch(/\[\.\.\. \d+ characters truncated\. To see more: use view_range\]/);
    expect(truncateOutput("short", "x", 1000)).toBe("short");
  });
});

describe("rewards", () => {
  const score = (f2p: number, broken: string[], resolved: boolean) => ({
    resolved,
    patchApplied: true,
    failToPass: { passed: f2p, total: 2, failing: [] },
    passToPass: { passed: 4 - broken.length, total: 4, broken },
    statuses: {},
    testOutputTail: "",
    durationMs: 0,
  });
  const editTurn = (tool: string, content: string) => ({ index: 0, startedAt: 0, durationMs: 0, assistant: { role: "assistant" as const, content: "" }, policy: { latencyMs: 0 }, observations: [{ toolCallId: "c", tool, content, durationMs: 0 }] });

  it("untouched = 0, gold = 1, a regression costs reward", () => {
    const x = { filesModified: 1, testFilesTouched: 0, turns: [], durationMs: 0 };
    expect(sweReward(score(0, [], false), x).total).toBe(0);
    expect(sweReward(score(2, [], true), x).total).toBeCloseTo(1);
    expect(sweReward(score(2, ["t"], false), x).total).toBeCloseTo(0.5 - 0.5 / 4);
  });

  it("gated accumulation: step rewards count only when the outcome clears the threshold", () => {
    const turns = [editTurn("str_replace", "Edited /testbed/pkg/m.py. Lines 1-3 now read:"), editTurn("create", "Created /testbed/tests/test_m.py (3 lines)."), editTurn("bash", "ok")];
    expect(stepRewards(turns, 0.2)).toEqual([0.2, 0, 0]);
    expect(gatedAccumulate([0.2, 0.2], 0.4, 0.5)).toBe(0);
    expect(gatedAccumulate([0.2, 0.2], 0.5, 0.5)).toBeCloseTo(0.4);
    const gated = { weight: 0.3, threshold: 1 };
    const failing = sweReward(score(1, [], false), { filesModified: 1, testFilesTouched: 0, turns, gated, durationMs: 0 });
    expect(failing.components.step_rewards).toBe(0);
    expect(failing.components.step_rewards_ungated).toBeCloseTo(0.1);
    const solved = sweReward(score(2, [], true), { filesModified: 1, testFilesTouched: 0, turns, gated, durationMs: 0 });
    expect(solved.components.step_rewards).toBeCloseTo(0.1);
    expect(solved.total).toBeCloseTo(1 + 0.03);
  });
});

describe("swe-mini sources", () => {
  it("rebuild, in an empty cache, into the very commits and files that tasks.jsonl and reference.jsonl hold", () => {
    const out = tempDir("regen");
    // A separate process with its own cache: nothing built before can leak in.
    const script = `import { makeTasks } from ${JSON.stringify(path.join(SWE_MINI_DIR, "make-tasks.mts"))};
const r = await makeTasks(${JSON.stringify(SWE_MINI_DIR)});
const fs = await import("node:fs");
fs.writeFileSync(${JSON.stringify(path.join(out, "tasks.jsonl"))}, r.tasks);
fs.writeFileSync(${JSON.stringify(path.join(out, "reference.jsonl"))}, r.reference);`;
    fs.writeFileSync(path.join(out, "regen.mts"), script);
    execFileSync(path.resolve(__dirname, "../../node_modules/.bin/tsx"), [path.join(out, "regen.mts")], { env: { ...process.env, AGENTRL_CACHE: path.join(out, "cache") }, stdio: "pipe" });
    expect(fs.readFileSync(path.join(out, "tasks.jsonl"), "utf8")).toBe(fs.readFileSync(path.join(SWE_MINI_DIR, "tasks.jsonl"), "utf8"));
    expect(fs.readFileSync(path.join(out, "reference.jsonl"), "utf8")).toBe(fs.readFileSync(path.join(SWE_MINI_DIR, "reference.jsonl"), "utf8"));
    fs.rmSync(out, { recursive: true, force: true });
  }, 120_000);
});
