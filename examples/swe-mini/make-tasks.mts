// Regenerates tasks.jsonl and reference.jsonl from repos/ (plain-file snapshots) and tasks/<id>/
// (problem, the fix as exact replacements, the hidden test files). Run: npx tsx examples/swe-mini/make-tasks.mts
// The commit hashes are stable: the snapshot builder uses a fixed author, committer and dates.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { git } from "../../remote-runner/src/envs/kinds/swe/git-env.js";
import { buildSnapshotRepo } from "../../remote-runner/src/envs/kinds/swe/snapshot-repo.js";
import { SWE_REPO_DIR, sweProblemPrompt, type SweInstance } from "../../remote-runner/src/envs/kinds/swe/instance.js";
import { referenceTurns } from "../../remote-runner/src/envs/kinds/swe/reference.js";

interface Meta {
  repo: string;
  fix: { file: string; old: string; new: string }[];
  FAIL_TO_PASS: string[];
  /** Hidden tests that already pass at the base commit (besides the repository's own tests). */
  PASS_TO_PASS?: string[];
}

function testIds(dir: string): string[] {
  const ids: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && e.name !== ".git") walk(r);
      else if (/^test_.*\.py$/.test(e.name)) for (const m of fs.readFileSync(path.join(dir, r), "utf8").matchAll(/^def (test_\w+)/gm)) ids.push(`${r}::${m[1]}`);
    }
  };
  walk("");
  return ids;
}

export async function makeTasks(envDir: string): Promise<{ tasks: string; reference: string }> {
  const taskLines: string[] = [];
  const refLines: string[] = [];
  for (const id of fs.readdirSync(path.join(envDir, "tasks")).sort()) {
    const tdir = path.join(envDir, "tasks", id);
    const meta = JSON.parse(fs.readFileSync(path.join(tdir, "meta.json"), "utf8")) as Meta;
    const bare = await buildSnapshotRepo(path.join(envDir, "repos", meta.repo));
    const base = (await git(bare).raw(["rev-parse", "HEAD"])).trim();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "swe-mini-"));
    try {
      await git().raw(["clone", "--quiet", bare, work]);
      const repo = git(work);
      const p2p = testIds(work);
      for (const f of meta.fix) {
        const file = path.join(work, f.file);
        const text = fs.readFileSync(file, "utf8");
        const n = text.split(f.old).length - 1;
        if (n !== 1) throw new Error(`${id}: the fix's old text occurs ${n} times in ${f.file} (must be exactly once)`);
        fs.writeFileSync(file, text.replace(f.old, f.new));
      }
      const patch = await repo.raw(["diff", "--no-renames"]);
      await repo.raw(["checkout", "--", "."]);
      const testsDir = path.join(tdir, "tests");
      for (const rel of fs.readdirSync(testsDir).sort()) fs.copyFileSync(path.join(testsDir, rel), path.join(work, "tests", rel));
      await repo.raw(["add", "-A"]);
      const testPatch = await repo.raw(["diff", "--cached", "--no-renames"]);
      const swe: Partial<SweInstance> = {
        instance_id: id,
        repo: `repos/${meta.repo}`,
        base_commit: base,
        problem_statement: fs.readFileSync(path.join(tdir, "problem.md"), "utf8").trim(),
        hints_text: "",
        patch,
        test_patch: testPatch,
        FAIL_TO_PASS: meta.FAIL_TO_PASS,
        PASS_TO_PASS: [...p2p, ...(meta.PASS_TO_PASS ?? [])],
        version: "0.1",
        apt: ["python3-pytest"],
        install: [],
      };
      taskLines.push(JSON.stringify({ id, prompt: sweProblemPrompt(swe as SweInstance, SWE_REPO_DIR), swe }));
      refLines.push(JSON.stringify({ task_id: id, turns: referenceTurns(patch) }));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  return { tasks: `${taskLines.join("\n")}\n`, reference: `${refLines.join("\n")}\n` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const envDir = path.dirname(fileURLToPath(import.meta.url));
  const { tasks, reference } = await makeTasks(envDir);
  fs.writeFileSync(path.join(envDir, "tasks.jsonl"), tasks);
  fs.writeFileSync(path.join(envDir, "reference.jsonl"), reference);
  console.log(`wrote ${tasks.trim().split("\n").length} tasks and their reference solutions`);
}
