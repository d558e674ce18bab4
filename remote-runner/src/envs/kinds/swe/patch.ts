import type { SandboxHandle } from "@agentrl/sdk";
import { BASE_COMMIT_FILE } from "./image.js";
import { SWE_REPO_DIR } from "./instance.js";

/** Paths a unified diff touches (both sides, /dev/null left out). */
export function patchFiles(patch: string): string[] {
  const out = new Set<string>();
  for (const line of patch.split("\n")) {
    const m = /^diff --git a\/(.+?) b\/(.+)$/.exec(line);
    if (m) {
      out.add(m[1] as string);
      out.add(m[2] as string);
      continue;
    }
    const mm = /^(?:---|\+\+\+) (?:[ab]\/)?(.+?)\s*$/.exec(line);
    if (mm && mm[1] !== "/dev/null") out.add(mm[1] as string);
  }
  return [...out].sort();
}

/**
 * Test files the agent's patch may not touch: anything under a tests folder, test modules, pytest's
 * conftest and configuration (a conftest hook could mark every test passed), and every file the
 * hidden test_patch touches.
 */
export function isTestPath(file: string, hidden: ReadonlySet<string> = new Set()): boolean {
  if (hidden.has(file)) return true;
  const parts = file.split("/");
  const base = parts[parts.length - 1] ?? "";
  if (parts.slice(0, -1).some((d) => /^(tests?|testing)$/i.test(d))) return true;
  return /^test_.*\.py$/.test(base) || /_tests?\.py$/.test(base) || base === "conftest.py" || base === "pytest.ini" || base === "tox.ini";
}

export interface AgentPatch {
  /** The diff that is scored (test files left out). */
  patch: string;
  /** Source files it changes. */
  files: string[];
  /** Test files the agent changed; left out of the scored patch. */
  excludedTestFiles: string[];
}

/**
 * The agent's final change, as SWE-bench takes it: `git diff` of the repository against the base
 * (new files included), with test files left out so edited or deleted tests earn nothing.
 */
export async function extractAgentPatch(sandbox: SandboxHandle, testPatch: string): Promise<AgentPatch> {
  const hidden = new Set(patchFiles(testPatch));
  // Stage everything so new files appear; --no-renames keeps one path per entry; binary for completeness.
  // Against the recorded base commit, not HEAD: changes the agent committed count too.
  const names = await sandbox.exec(["sh", "-c", `git add -A >/dev/null 2>&1; git diff --cached --no-renames --name-only "$(cat ${BASE_COMMIT_FILE})"`], { cwd: SWE_REPO_DIR, timeoutMs: 60_000 });
  if (names.exitCode !== 0) throw new Error(`git diff failed in the sandbox: ${names.stderr.trim()}`);
  const changed = names.stdout.split("\n").filter(Boolean);
  const files = changed.filter((f) => !isTestPath(f, hidden));
  const excludedTestFiles = changed.filter((f) => isTestPath(f, hidden));
  if (files.length === 0) return { patch: "", files, excludedTestFiles };
  const diff = await sandbox.exec(["sh", "-c", `git diff --cached --no-renames --binary "$(cat ${BASE_COMMIT_FILE})" -- "$@"`, "sh", ...files], { cwd: SWE_REPO_DIR, timeoutMs: 60_000 });
  if (diff.exitCode !== 0) throw new Error(`git diff failed in the sandbox: ${diff.stderr.trim()}`);
  return { patch: diff.stdout, files, excludedTestFiles };
}

export interface Hunk {
  file: string;
  /** Text of the hunk's lines before (context + removed) and after (context + added). */
  before: string;
  after: string;
  /** True when the hunk creates the file. */
  newFile: boolean;
}

/** Splits a unified diff into per-hunk before/after texts (what a str_replace edit needs). */
export function parseHunks(patch: string): Hunk[] {
  const hunks: Hunk[] = [];
  let file = "";
  let newFile = false;
  let before: string[] | null = null;
  let after: string[] = [];
  const flush = (): void => {
    if (before) hunks.push({ file, before: before.join("\n"), after: after.join("\n"), newFile });
    before = null;
    after = [];
  };
  for (const line of patch.split("\n")) {
    if (line.startsWith("diff --git ")) {
      flush();
      newFile = false;
      continue;
    }
    if (line.startsWith("new file mode")) newFile = true;
    if (line.startsWith("+++ ")) {
      flush();
      file = line.slice(4).replace(/^b\//, "").trim();
      continue;
    }
    if (line.startsWith("--- ")) continue;
    if (line.startsWith("@@")) {
      flush();
      before = [];
      continue;
    }
    if (!before) continue;
    if (line.startsWith("\\")) continue;
    const tag = line[0];
    const text = line.slice(1);
    if (tag === " ") {
      before.push(text);
      after.push(text);
    } else if (tag === "-") before.push(text);
    else if (tag === "+") after.push(text);
  }
  flush();
  return hunks;
}
