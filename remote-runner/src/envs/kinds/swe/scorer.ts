import type { SandboxProvider } from "../../../sandbox/types.js";
import { SweTaskError } from "./errors.js";
import { SWE_REPO_DIR, type SweInstance } from "./instance.js";
import { assertSupportedFramework, parsePytestReport, passed, type TestStatus } from "./pytest-report.js";

export interface SweScore {
  /** All FAIL_TO_PASS and PASS_TO_PASS tests pass (SWE-bench's "resolved"). */
  resolved: boolean;
  /** False when the agent's patch did not apply to a clean checkout (scored as unresolved). */
  patchApplied: boolean;
  failToPass: { passed: number; total: number; failing: string[] };
  passToPass: { passed: number; total: number; broken: string[] };
  statuses: Record<string, TestStatus | "NOT_RUN">;
  /** The end of the test output, for the inspector. */
  testOutputTail: string;
  durationMs: number;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * Scores a patch the way SWE-bench does: a FRESH container from the task's image (the repository at
 * base_commit, untouched by the agent), the patch applied, then the hidden test_patch, then the
 * FAIL_TO_PASS and PASS_TO_PASS tests run and read from pytest's report. The agent's container is
 * never used, so nothing it left behind (edited tests, conftest hooks, caches) can affect the result.
 */
export async function scoreInFreshContainer(opts: {
  provider: SandboxProvider;
  image: string;
  inst: SweInstance;
  patch: string;
  labels?: Record<string, string>;
}): Promise<SweScore> {
  const { inst } = opts;
  assertSupportedFramework(inst.test_framework, inst.instance_id);
  const t0 = performance.now();
  const sb = await opts.provider.create({
    image: opts.image,
    workdir: SWE_REPO_DIR,
    labels: { ...opts.labels, "agentrl.swe": "score" },
    execTimeoutMs: inst.test_timeout_ms + 30_000,
  });
  try {
    let patchApplied = true;
    if (opts.patch.trim()) {
      await sb.writeFile("/tmp/agent.patch", opts.patch.endsWith("\n") ? opts.patch : `${opts.patch}\n`);
      // SWE-bench's order: git apply, then GNU patch with fuzz as a fallback.
      const r = await sb.exec({ cmd: "git apply --whitespace=nowarn /tmp/agent.patch || patch --batch --fuzz=5 -p1 -i /tmp/agent.patch", timeoutMs: 60_000 });
      patchApplied = r.exitCode === 0;
    }
    const statuses: Record<string, TestStatus | "NOT_RUN"> = {};
    let tail = "";
    if (patchApplied) {
      await sb.writeFile("/tmp/test.patch", inst.test_patch.endsWith("\n") ? inst.test_patch : `${inst.test_patch}\n`);
      const tp = await sb.exec({ cmd: "git apply --whitespace=nowarn /tmp/test.patch", timeoutMs: 60_000 });
      if (tp.exitCode !== 0) throw new SweTaskError("test_patch_invalid", `test_patch does not apply in the scoring container: ${tp.stderr.trim()}`, inst.instance_id);
      const ids = [...inst.FAIL_TO_PASS, ...inst.PASS_TO_PASS];
      // Run whole test files (as SWE-bench does): a test id that no longer exists then fails alone instead of aborting the session.
      const files = [...new Set(ids.map((id) => id.split("::")[0] as string))];
      const secs = Math.ceil(inst.test_timeout_ms / 1000);
      const cmd = `timeout -k 5 ${secs} ${inst.test_cmd} ${files.map(shq).join(" ")} 2>&1`;
      const run = await sb.exec({ cmd, timeoutMs: inst.test_timeout_ms + 20_000, maxOutputBytes: 4 * 1024 * 1024 });
      tail = run.stdout.slice(-4000);
      if (run.timedOut || run.exitCode === 124 || run.exitCode === 137) {
        throw new SweTaskError("tests_timeout", `the tests did not finish within ${inst.test_timeout_ms} ms (they hang or are too slow). Fix: raise "test_timeout_ms" or fix the hanging test. Output tail:\n${tail.slice(-600)}`, inst.instance_id);
      }
      let report: Map<string, TestStatus>;
      try {
        report = parsePytestReport(run.stdout);
      } catch (err) {
        throw new SweTaskError("unsupported_framework", `${(err as Error).message}\nFix: make "test_cmd" run pytest with -rA`, inst.instance_id);
      }
      for (const id of ids) statuses[id] = report.get(id) ?? "NOT_RUN";
    } else for (const id of [...inst.FAIL_TO_PASS, ...inst.PASS_TO_PASS]) statuses[id] = "NOT_RUN";
    const ok = (id: string): boolean => passed(statuses[id] as TestStatus | undefined);
    const f2pFailing = inst.FAIL_TO_PASS.filter((id) => !ok(id));
    const p2pBroken = inst.PASS_TO_PASS.filter((id) => !ok(id));
    return {
      resolved: patchApplied && f2pFailing.length === 0 && p2pBroken.length === 0,
      patchApplied,
      failToPass: { passed: inst.FAIL_TO_PASS.length - f2pFailing.length, total: inst.FAIL_TO_PASS.length, failing: f2pFailing },
      // An unapplied patch breaks nothing: it changed nothing that ran.
      passToPass: patchApplied ? { passed: inst.PASS_TO_PASS.length - p2pBroken.length, total: inst.PASS_TO_PASS.length, broken: p2pBroken } : { passed: 0, total: inst.PASS_TO_PASS.length, broken: [] },
      statuses,
      testOutputTail: tail,
      durationMs: performance.now() - t0,
    };
  } finally {
    await sb.destroy().catch(() => {});
  }
}
