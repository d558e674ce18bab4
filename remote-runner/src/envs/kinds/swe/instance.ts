import type { Task } from "@agentrl/protocol";
import { SweTaskError } from "./errors.js";

/**
 * One SWE task, normalized. Field names follow SWE-bench where it has them, so an instance reads
 * the same in both forms; the rest says how to build and test the repository.
 */
export interface SweInstance {
  instance_id: string;
  /** A local folder (git repository or commits/ snapshot), a clone URL, or SWE-bench's `owner/name`. */
  repo: string;
  base_commit: string;
  problem_statement: string;
  hints_text: string;
  /** The gold patch (never shown to the agent; the reference policy applies it). */
  patch: string;
  /** Hidden tests, applied only in the scoring container. */
  test_patch: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  version: string;
  environment_setup_commit: string;
  /** Debian packages for the toolchain (image layer shared by every task that asks for the same). */
  apt: string[];
  /** Shell commands run in the repository when the image is built (e.g. `pip install -e .`). */
  install: string[];
  /** Test framework of the report parser; only pytest is supported. */
  test_framework: string;
  /** The test command; the test ids are appended. */
  test_cmd: string;
  /** Limit for one scoring run of the tests. */
  test_timeout_ms: number;
}

export const SWE_DEFAULTS = {
  apt: ["python3-pytest"],
  test_framework: "pytest",
  // -rA prints one "STATUS test-id" line per test, which is what the report parser reads (as SWE-bench does).
  test_cmd: "python3 -m pytest -rA -p no:cacheprovider -o addopts=",
  test_timeout_ms: 120_000,
} as const;

function str(v: unknown, field: string, id: string, required = true): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) {
    if (!required) return "";
    throw new SweTaskError("invalid_task", `"${field}" is missing. Fix: add "${field}" (a string) to the task`, id);
  }
  throw new SweTaskError("invalid_task", `"${field}" must be a string, got ${Array.isArray(v) ? "an array" : typeof v}`, id);
}

/** SWE-bench stores the test lists as JSON strings ("[\"a\", \"b\"]"); the project's JSON uses arrays. Both are accepted. */
export function testList(v: unknown, field: string, id: string): string[] {
  let value = v;
  if (value === undefined || value === null) return [];
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch (err) {
      throw new SweTaskError("invalid_task", `"${field}" is a string but not JSON (${(err as Error).message}). Fix: write it as a JSON list of test ids`, id);
    }
  }
  if (!Array.isArray(value) || !value.every((x) => typeof x === "string")) {
    throw new SweTaskError("invalid_task", `"${field}" must be a list of test id strings. Fix: e.g. ["tests/test_x.py::test_y"]`, id);
  }
  return value as string[];
}

function strList(v: unknown, field: string, id: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  throw new SweTaskError("invalid_task", `"${field}" must be a string or a list of strings`, id);
}

/**
 * Reads an instance from a task: either the task carries a `swe` object (the project's own JSON) or
 * the SWE-bench fields sit at the top level (a published instance turned into a task).
 */
export function sweInstanceOf(task: Task | Record<string, unknown>): SweInstance {
  const t = task as Record<string, unknown>;
  const src = (typeof t.swe === "object" && t.swe !== null ? t.swe : t) as Record<string, unknown>;
  const id = typeof src.instance_id === "string" ? src.instance_id : typeof t.id === "string" ? t.id : "";
  if (!id) throw new SweTaskError("invalid_task", 'the task has no "instance_id" or "id". Fix: give it one');
  const base = str(src.base_commit, "base_commit", id);
  if (!/^[0-9a-f]{7,40}$/i.test(base)) {
    throw new SweTaskError("invalid_task", `"base_commit" "${base}" is not a commit hash. Fix: use the full 40-character hash of the commit where the bug exists`, id);
  }
  const timeout = src.test_timeout_ms;
  if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0))) {
    throw new SweTaskError("invalid_task", '"test_timeout_ms" must be a positive number of milliseconds', id);
  }
  const inst: SweInstance = {
    instance_id: id,
    repo: str(src.repo, "repo", id),
    base_commit: base,
    problem_statement: str(src.problem_statement, "problem_statement", id),
    hints_text: str(src.hints_text, "hints_text", id, false),
    patch: str(src.patch, "patch", id, false),
    test_patch: str(src.test_patch, "test_patch", id),
    FAIL_TO_PASS: testList(src.FAIL_TO_PASS, "FAIL_TO_PASS", id),
    PASS_TO_PASS: testList(src.PASS_TO_PASS, "PASS_TO_PASS", id),
    version: str(src.version, "version", id, false),
    environment_setup_commit: str(src.environment_setup_commit, "environment_setup_commit", id, false),
    apt: strList(src.apt, "apt", id) ?? [...SWE_DEFAULTS.apt],
    install: strList(src.install, "install", id) ?? [],
    test_framework: typeof src.test_framework === "string" ? src.test_framework : SWE_DEFAULTS.test_framework,
    test_cmd: typeof src.test_cmd === "string" ? src.test_cmd : SWE_DEFAULTS.test_cmd,
    test_timeout_ms: typeof timeout === "number" ? timeout : SWE_DEFAULTS.test_timeout_ms,
  };
  if (inst.FAIL_TO_PASS.length === 0) {
    throw new SweTaskError("invalid_task", '"FAIL_TO_PASS" is empty: nothing would tell a fix from no fix. Fix: list the tests the fix makes pass', id);
  }
  if (!inst.test_patch.trim()) throw new SweTaskError("invalid_task", '"test_patch" is empty. Fix: give the diff that adds the hidden tests', id);
  return inst;
}

/** The opening message of an episode: the issue, as SWE-bench agents get it. The hidden tests are never part of it. */
export function sweProblemPrompt(inst: SweInstance, repoDir: string): string {
  const hints = inst.hints_text.trim() ? `\n\nHints:\n${inst.hints_text.trim()}` : "";
  return (
    `The repository is checked out at ${repoDir}. Fix the following issue by editing the source code ` +
    `(not the tests). When you are done, call submit.\n\n<issue>\n${inst.problem_statement.trim()}\n</issue>${hints}`
  );
}

/**
 * Turns one published SWE-bench instance (a JSON object as in the dataset) into a task line of
 * tasks.jsonl: the instance fields kept as they are, plus `id` and `prompt`.
 */
export function taskFromSweBench(raw: unknown, extra: Partial<Pick<SweInstance, "apt" | "install" | "test_cmd" | "test_timeout_ms">> = {}): Task {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SweTaskError("invalid_task", "a SWE-bench instance must be a JSON object");
  const r = raw as Record<string, unknown>;
  const task: Record<string, unknown> = { ...r, ...extra };
  const inst = sweInstanceOf(task);
  return { ...task, id: inst.instance_id, prompt: sweProblemPrompt(inst, SWE_REPO_DIR) } as Task;
}

/** Where the repository lives inside every SWE sandbox (as in SWE-bench's images). */
export const SWE_REPO_DIR = "/testbed";
