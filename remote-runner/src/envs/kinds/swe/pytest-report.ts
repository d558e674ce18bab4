import { SweTaskError } from "./errors.js";

export type TestStatus = "PASSED" | "FAILED" | "ERROR" | "SKIPPED" | "XFAIL" | "XPASS";

export const SUPPORTED_FRAMEWORKS = ["pytest"] as const;

/** Refuses, with a clear message, a test framework whose report this parser cannot read. */
export function assertSupportedFramework(framework: string, taskId?: string): void {
  if (!(SUPPORTED_FRAMEWORKS as readonly string[]).includes(framework)) {
    throw new SweTaskError(
      "unsupported_framework",
      `test framework "${framework}" is not supported: the report parser reads pytest's \`-rA\` summary only (supported: ${SUPPORTED_FRAMEWORKS.join(", ")}). ` +
        'Fix: run the tests with pytest (it also runs unittest-style tests) and set "test_framework": "pytest"',
      taskId,
    );
  }
}

/**
 * Reads pytest's `-rA` short summary ("PASSED tests/x.py::test_a", "FAILED tests/x.py::test_b - ...")
 * into a status per test id, as SWE-bench's log parser does. Throws when the text is not a pytest
 * report at all, so a broken test command is never scored as "everything failed" silently.
 */
export function parsePytestReport(output: string): Map<string, TestStatus> {
  if (!/=+ (test session starts|.*\b(passed|failed|error|errors|no tests ran|skipped)\b.*) =+/.test(output)) {
    throw new Error(`the test output is not a pytest report (no session header or summary line). First lines:\n${output.split("\n").slice(0, 8).join("\n")}`);
  }
  const result = new Map<string, TestStatus>();
  for (const line of output.split("\n")) {
    const m = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+)$/.exec(line.trimEnd());
    if (!m) continue;
    const status = m[1] as TestStatus;
    let id = m[2] as string;
    if (status === "SKIPPED") {
      // "SKIPPED [1] tests/x.py:12: reason" names a location, not a test id.
      if (id.startsWith("[")) continue;
    }
    // "FAILED id - message"; a PASSED line can carry a message too (a report rewritten by a plugin).
    // Parametrized ids may contain " - " inside their brackets: look for the message after them.
    const bracket = /^\S+?\[/.test(id) ? id.indexOf("]") : -1;
    const dash = id.indexOf(" - ", bracket === -1 ? 0 : bracket);
    if (dash !== -1) id = id.slice(0, dash);
    result.set(id.trim(), status);
  }
  return result;
}

export function passed(status: TestStatus | undefined): boolean {
  return status === "PASSED" || status === "XFAIL";
}
