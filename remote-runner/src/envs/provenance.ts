import { spawnSync } from "node:child_process";

const MAX_DIFF = 1024 * 1024;

function git(dir: string, args: string[]): string | null {
  const res = spawnSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 16 * MAX_DIFF });
  return res.status === 0 ? res.stdout : null;
}

/** The git commit of the env folder and its uncommitted diff (capped at 1 MiB), when it is in a repository. */
export function gitProvenance(dir: string): { gitCommit?: string; gitDirtyDiff?: string } {
  const commit = git(dir, ["rev-parse", "HEAD"])?.trim();
  if (!commit) return {};
  const status = git(dir, ["status", "--porcelain", "--", "."]) ?? "";
  if (status.trim() === "") return { gitCommit: commit };
  let diff = git(dir, ["diff", "HEAD", "--", "."]) ?? "";
  const untracked = status
    .split("\n")
    .filter((l) => l.startsWith("??"))
    .map((l) => l.slice(3));
  if (untracked.length) diff += `\n# untracked: ${untracked.join(", ")}\n`;
  if (diff.length > MAX_DIFF) diff = `${diff.slice(0, MAX_DIFF)}\n# (diff truncated at 1 MiB)\n`;
  return { gitCommit: commit, gitDirtyDiff: diff };
}
