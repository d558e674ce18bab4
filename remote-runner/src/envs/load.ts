import fs from "node:fs";
import path from "node:path";
import type { EnvironmentInfo, Provenance, Task } from "@agentrl/protocol";
import { PROTOCOL_VERSION } from "@agentrl/protocol";
import { BUILTIN_TOOLS } from "../rollout/builtin-tools.js";
import { bundleEnv } from "./bundle.js";
import { BundleLoadError } from "../bundle/process.js";
import { compileEnv, type CompiledEnv } from "./compile.js";
import { insideEnv } from "./confine.js";
import type { EnvDescription } from "./description.js";
import { EnvLoadError } from "./errors.js";
import { EnvHost } from "./host.js";
import { gitProvenance } from "./provenance.js";
import { loadTasks } from "./tasks.js";
import { validateEnvironmentModule } from "./validate.js";
import { findKind, unknownKindIssue } from "./kinds/registry.js";

export const ENV_DEFAULTS = { maxTurns: 10, stepTimeoutMs: 60_000, episodeTimeoutMs: 600_000, rewardTimeoutMs: 30_000 } as const;

export interface LoadedEnvironment {
  dir: string;
  /** The definition as data (functions are markers): the bundle's code runs only in `host`. */
  def: EnvDescription;
  /** The process the bundle's code runs in: hooks, tools and command builders go through it. */
  host: EnvHost;
  info: EnvironmentInfo;
  tasks: Task[];
  /** 1-based line of each task in the tasks file. */
  taskLines: number[];
  tasksFile: string;
  compiled: CompiledEnv;
  /** sha256 of the deterministic tar.gz of the env folder (bundleEnv). */
  envHash: string;
  provenance: Provenance;
  /** The env folder's Dockerfile, when it has one. */
  dockerfile: string | null;
}

export function environmentInfo(def: EnvDescription): EnvironmentInfo {
  const tools = (def.tools ?? []).map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  const builtin = def.builtinTools ?? [];
  return {
    name: def.name,
    kind: def.kind ?? "tool",
    ...(def.description ? { description: def.description } : {}),
    ...(def.image ? { image: def.image } : {}),
    maxTurns: def.maxTurns ?? ENV_DEFAULTS.maxTurns,
    stepTimeoutMs: def.stepTimeoutMs ?? ENV_DEFAULTS.stepTimeoutMs,
    episodeTimeoutMs: def.episodeTimeoutMs ?? ENV_DEFAULTS.episodeTimeoutMs,
    rewardTimeoutMs: def.rewardTimeoutMs ?? ENV_DEFAULTS.rewardTimeoutMs,
    rewardComposition: def.rewardComposition ?? "weighted_sum",
    tools: [...builtin.map((b) => BUILTIN_TOOLS[b].spec), ...tools],
    builtinTools: builtin,
    rewards: def.rewards.map((r) => ({ name: r.name, weight: r.weight ?? 1, kind: "score" in r ? ("function" as const) : ("command" as const) })),
  };
}

/** The module as its own process describes it; a module that throws, exits or hangs while loading is an EnvLoadError naming the file. */
async function describeModule(host: EnvHost, dir: string, file: string): Promise<Record<string, unknown>> {
  try {
    return await host.describe();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const message = err instanceof BundleLoadError ? err.message : `the environment could not be described: ${err.message}`;
    const fix = /process\.exit|ended its process|exit code/.test(message)
      ? "remove the process.exit call from the module's top-level code (bundle code runs in a process of its own; ending it ends nothing else)"
      : /did not load within/.test(message)
        ? "make the module's top-level code finish (no endless loop, no await that never settles)"
        : "fix the top-level code of the env module so importing it does not throw";
    throw new EnvLoadError(dir, [{ file, message, fix }]);
  }
}

/**
 * Loads an environment folder: bundles and imports env.ts, validates the definition, reads the
 * tasks, and computes the provenance. Every problem found is reported at once (EnvLoadError).
 */
export async function loadEnvironment(dirIn: string, opts: { git?: boolean } = {}): Promise<LoadedEnvironment> {
  const dir = path.resolve(dirIn);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new EnvLoadError(dir, [{ file: dir, message: "the environment folder does not exist", fix: "pass the folder that holds env.ts and tasks.jsonl" }]);
  }
  const compiled = await compileEnv(dir);
  const entryName = path.basename(compiled.entry);
  const host = new EnvHost(compiled.bundlePath);
  const mod = await describeModule(host, dir, entryName);
  const validated = validateEnvironmentModule(mod, entryName);
  const kindIssue = validated.env ? unknownKindIssue(validated.env, entryName) : null;
  const { env, issues } = kindIssue ? { env: null, issues: [...validated.issues, kindIssue] } : validated;
  if (!env) {
    // Report the tasks file's problems in the same breath, so one fix-and-retry cycle catches everything.
    const raw = mod.default as { tasks?: unknown } | undefined;
    const name = typeof raw?.tasks === "string" ? raw.tasks : "tasks.jsonl";
    throw new EnvLoadError(dir, [...issues, ...loadTasks(insideEnv(dir, name, "tasks"), { displayName: name }).issues]);
  }
  const kind = findKind(env);
  const kindTasks = kind?.loadTasks?.({ dir, def: env });
  const tasksName = kindTasks?.source ?? env.tasks ?? "tasks.jsonl";
  const tasksFile = insideEnv(dir, tasksName, "tasks");
  const knownTools = [...(env.builtinTools ?? []), ...(env.tools ?? []).map((t) => t.name)];
  // A kind may read its tasks itself (a folder of Harbor tasks); else the env's JSONL file.
  const loaded = kindTasks ?? loadTasks(tasksFile, { displayName: tasksName, knownTools });
  // The kind checks its tasks before any sandbox starts (gui: OSWorld setup steps, getters and metrics).
  const taskIssues = kind?.taskIssues;
  if (taskIssues) loaded.issues.push(...taskIssues(loaded.tasks, loaded.lines, tasksName));
  if (loaded.issues.length) throw new EnvLoadError(dir, loaded.issues);
  const bundle = await bundleEnv(dir);
  const info = environmentInfo(env);
  const provenance: Provenance = {
    envName: info.name,
    envHash: bundle.sha256,
    codeHash: compiled.codeHash,
    protocolVersion: PROTOCOL_VERSION,
    ...(opts.git === false ? {} : gitProvenance(dir)),
  };
  const dockerfile = path.join(dir, "Dockerfile");
  return {
    dir,
    def: env,
    host,
    info,
    tasks: loaded.tasks,
    taskLines: loaded.lines,
    tasksFile,
    compiled,
    envHash: bundle.sha256,
    provenance,
    dockerfile: fs.existsSync(dockerfile) ? dockerfile : null,
  };
}
