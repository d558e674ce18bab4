import fs from "node:fs";
import path from "node:path";
import type { Task } from "@agentrl/protocol";
import type { EnvIssue } from "../../errors.js";
import type { KindTasks } from "../types.js";
import { parseTaskToml, type HarborTaskConfig } from "./task-config.js";

/** One Harbor task folder: instruction.md, task.toml, environment/, tests/, optional solution/. */
export interface HarborTask {
  /** The folder's name: the task id. */
  id: string;
  dir: string;
  instruction: string;
  config: HarborTaskConfig;
  hasSolution: boolean;
}

/** Every regular file under `dir`, keyed by relative path (tests/ and solution/ go into sandboxes this way). */
export function readFolder(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out[r] = fs.readFileSync(path.join(dir, r));
    }
  };
  if (fs.existsSync(dir)) walk("");
  return out;
}

/** The task folders under `root`: `root` itself when it holds task.toml, else its sub-folders that do. */
export function findTaskFolders(root: string): string[] {
  if (fs.existsSync(path.join(root, "task.toml"))) return [root];
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && fs.existsSync(path.join(root, e.name, "task.toml")))
    .map((e) => path.join(root, e.name))
    .sort();
}

/** Reads one task folder; structural problems (no instruction, no tests/test.sh, bad task.toml) are issues. */
export function readHarborTask(dir: string, rel: string): { task: HarborTask | null; issues: EnvIssue[] } {
  const issues: EnvIssue[] = [];
  const id = path.basename(dir);
  const file = (name: string): string => path.join(dir, name);
  const at = (name: string): string => (rel ? `${rel}/${name}` : name);
  const { config, problems } = parseTaskToml(fs.readFileSync(file("task.toml"), "utf8"));
  for (const p of problems) {
    const [message, fix] = p.split(". Fix: ");
    issues.push({ file: at("task.toml"), message: message ?? p, fix: fix ?? "correct task.toml" });
  }
  if (!fs.existsSync(file("instruction.md"))) issues.push({ file: at("instruction.md"), message: `task "${id}" has no instruction.md`, fix: "write the task's instruction (the prompt) in instruction.md" });
  if (!fs.existsSync(file("tests/test.sh"))) issues.push({ file: at("tests/test.sh"), message: `task "${id}" has no tests/test.sh`, fix: "add tests/test.sh that writes the reward to /logs/verifier/reward.txt (or reward.json)" });
  if (!fs.existsSync(file("environment/Dockerfile")) && !config.dockerImage) {
    issues.push({ file: at("environment/Dockerfile"), message: `task "${id}" has no environment/Dockerfile`, fix: "add environment/Dockerfile (FROM a Debian, Ubuntu or Python image)" });
  }
  if (issues.length) return { task: null, issues };
  return { task: { id, dir, instruction: fs.readFileSync(file("instruction.md"), "utf8"), config, hasSolution: fs.existsSync(file("solution/solve.sh")) }, issues };
}

/** The Harbor tasks of an environment: one engine task per folder, its instruction as the prompt. */
export function loadHarborTasks(envDir: string, tasksRel: string): KindTasks & { byId: Map<string, HarborTask> } {
  const root = path.resolve(envDir, tasksRel);
  const folders = findTaskFolders(root);
  const issues: EnvIssue[] = [];
  const byId = new Map<string, HarborTask>();
  if (folders.length === 0) {
    issues.push({ file: tasksRel, message: `no Harbor task folders in ${root}`, fix: "point harbor.tasks at a folder of task folders, each with task.toml, instruction.md, environment/Dockerfile and tests/test.sh" });
  }
  for (const dir of folders) {
    const r = readHarborTask(dir, path.relative(envDir, dir));
    issues.push(...r.issues);
    if (r.task) byId.set(r.task.id, r.task);
  }
  const tasks: Task[] = [...byId.values()].map((t) => ({ id: t.id, prompt: t.instruction, harbor: { folder: path.relative(envDir, t.dir) || "." } }));
  return { tasks, lines: tasks.map(() => 0), source: tasksRel, issues, byId };
}
