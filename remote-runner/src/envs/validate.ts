import { Ajv } from "ajv";
import { EnvTrainDefaults } from "@agentrl/protocol";
import type { ApiError } from "../api/errors.js";
import { validate } from "../api/validate.js";
import { sandboxLimitIssues } from "../sandbox/limits.js";
import { isBundleFunction, type EnvDescription } from "./description.js";
import type { EnvIssue } from "./errors.js";

const BUILTIN_TOOLS = ["bash", "python", "read_file", "write_file"];
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const schemaChecker = new Ajv({ strict: false });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function positiveInt(issues: EnvIssue[], file: string, def: Record<string, unknown>, key: string): void {
  const v = def[key];
  if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v > 0)) {
    issues.push({ file, field: key, message: `${key} must be a positive integer, got ${JSON.stringify(v)}`, fix: `set ${key} to a whole number above 0 or leave it out for the default` });
  }
}

/**
 * Checks the default export of an env module, as the env host described it (functions are
 * BundleFunction markers: the bundle's code never runs here). Returns every problem (file, field, fix); the runner
 * refuses to run an environment with any.
 */
export function validateEnvironmentModule(mod: Record<string, unknown>, file: string): { env: EnvDescription | null; issues: EnvIssue[] } {
  const issues: EnvIssue[] = [];
  const def = mod.default;
  if (def === undefined) {
    issues.push({ file, field: "default export", message: "the module has no default export", fix: "end env.ts with `export default defineEnvironment({ ... })`" });
    return { env: null, issues };
  }
  if (!isObject(def)) {
    issues.push({ file, field: "default export", message: `the default export is ${def === null ? "null" : typeof def}, not an environment`, fix: "export the object returned by defineEnvironment({ ... })" });
    return { env: null, issues };
  }
  if (def.__agentrl !== "environment") {
    issues.push({ file, field: "default export", message: "the default export was not made by defineEnvironment", fix: "wrap it: `export default defineEnvironment({ ... })` (import defineEnvironment from @agentrl/sdk)" });
  }
  if (typeof def.name !== "string" || def.name.trim() === "") issues.push({ file, field: "name", message: "name is missing or empty", fix: 'add name: "my-env"' });
  for (const key of ["maxTurns", "stepTimeoutMs", "episodeTimeoutMs", "rewardTimeoutMs"]) positiveInt(issues, file, def, key);
  if (def.train !== undefined) {
    try {
      validate(EnvTrainDefaults, def.train, "train");
    } catch (err) {
      const e = err as ApiError;
      issues.push({ file, field: e.field ?? "train", message: e.message.replace(/\. Fix: .*$/s, ""), fix: "use the fields of agentrl train: steps, group, tasksPerStep, concurrency, seed, temperature, maxTokens, loraRank, trainer { lr, estimator, ... }" });
    }
  }
  if (def.rewardComposition !== undefined && def.rewardComposition !== "weighted_sum" && def.rewardComposition !== "gdpo") {
    issues.push({ file, field: "rewardComposition", message: `unknown rewardComposition ${JSON.stringify(def.rewardComposition)}`, fix: 'use "weighted_sum" or "gdpo"' });
  }
  for (const k of ["system", "prompt", "initState", "setup"]) {
    const v = def[k];
    if (v !== undefined && !isBundleFunction(v) && !(k === "system" && typeof v === "string")) {
      issues.push({ file, field: k, message: `${k} has the wrong type (${typeof v})`, fix: k === "system" ? "use a string or a function (task) => string" : `make ${k} a function` });
    }
  }
  const builtin = def.builtinTools ?? [];
  if (!Array.isArray(builtin)) issues.push({ file, field: "builtinTools", message: "builtinTools must be an array", fix: `list some of ${BUILTIN_TOOLS.join(", ")}` });
  else
    builtin.forEach((b, i) => {
      if (!BUILTIN_TOOLS.includes(String(b))) issues.push({ file, field: `builtinTools[${i}]`, message: `unknown built-in tool ${JSON.stringify(b)}`, fix: `use one of ${BUILTIN_TOOLS.join(", ")}` });
    });
  const names = new Set<string>(Array.isArray(builtin) ? builtin.map(String) : []);
  const tools = def.tools ?? [];
  if (!Array.isArray(tools)) issues.push({ file, field: "tools", message: "tools must be an array", fix: "tools: [defineTool({...}), ...]" });
  else
    tools.forEach((t: unknown, i) => {
      const field = `tools[${i}]`;
      if (!isObject(t) || t.__agentrl !== "tool") {
        issues.push({ file, field, message: "not a tool made by defineTool", fix: "create each tool with defineTool({ name, description, parameters, run | command })" });
        return;
      }
      const name = String(t.name ?? "");
      if (!TOOL_NAME.test(name)) issues.push({ file, field: `${field}.name`, message: `tool name ${JSON.stringify(t.name)} is not valid`, fix: "use 1-64 letters, digits, _ or -" });
      else if (names.has(name)) issues.push({ file, field: `${field}.name`, message: `tool name "${name}" is used twice`, fix: "give each tool (and built-in tool) a unique name" });
      names.add(name);
      if (typeof t.description !== "string" || !t.description) issues.push({ file, field: `${field}.description`, message: `tool "${name}" has no description`, fix: "describe what the tool does; the model reads it" });
      if (!isObject(t.parameters) || t.parameters.type !== "object") {
        issues.push({ file, field: `${field}.parameters`, message: `tool "${name}" parameters must be a JSON Schema with type "object"`, fix: 'parameters: { type: "object", properties: { ... }, required: [...] }' });
      } else {
        try {
          schemaChecker.compile(t.parameters);
        } catch (err) {
          issues.push({ file, field: `${field}.parameters`, message: `tool "${name}" parameters are not a valid JSON Schema: ${(err as Error).message}`, fix: "correct the schema" });
        }
      }
      const hasRun = isBundleFunction(t.run);
      const hasCommand = isBundleFunction(t.command);
      if (hasRun === hasCommand) issues.push({ file, field, message: `tool "${name}" needs exactly one of run (in the environment's process) or command (in the sandbox)`, fix: "give it run: (args, ctx) => ... or command: (args) => [...]" });
    });
  const rewards = def.rewards;
  if (!Array.isArray(rewards) || rewards.length === 0) {
    issues.push({ file, field: "rewards", message: "the environment has no rewards", fix: "rewards: [defineReward({ name, score: (ctx) => ... })] (or a built-in grader such as exactMatch())" });
  } else {
    const rnames = new Set<string>();
    rewards.forEach((r: unknown, i) => {
      const field = `rewards[${i}]`;
      if (!isObject(r) || r.__agentrl !== "reward") {
        issues.push({ file, field, message: "not a reward made by defineReward", fix: "create each reward with defineReward({...}) or a built-in grader" });
        return;
      }
      const name = String(r.name ?? "");
      if (!name || name.includes(".")) issues.push({ file, field: `${field}.name`, message: `reward name ${JSON.stringify(r.name)} is not valid`, fix: "use a non-empty name without dots" });
      else if (rnames.has(name)) issues.push({ file, field: `${field}.name`, message: `reward name "${name}" is used twice`, fix: "give each reward a unique name" });
      rnames.add(name);
      if (r.weight !== undefined && !(typeof r.weight === "number" && Number.isFinite(r.weight) && r.weight >= 0)) {
        issues.push({ file, field: `${field}.weight`, message: `reward "${name}" weight must be a number ≥ 0, got ${JSON.stringify(r.weight)}`, fix: "use a non-negative number (0 logs the component without counting it)" });
      }
      const hasScore = isBundleFunction(r.score);
      const hasCommand = r.command !== undefined;
      if (hasScore === hasCommand) issues.push({ file, field, message: `reward "${name}" needs exactly one of score or command`, fix: "give it score: (ctx) => number, or command: 'test command'" });
    });
  }
  if (def.sandbox !== undefined) {
    if (!isObject(def.sandbox)) issues.push({ file, field: "sandbox", message: "sandbox must be an object", fix: "sandbox: { limits: {...}, env: {...}, workdir: \"/home/agent\" } (each optional)" });
    else for (const i of sandboxLimitIssues(def.sandbox.limits)) issues.push({ file, ...i });
  }
  if (def.tasks !== undefined && typeof def.tasks !== "string") issues.push({ file, field: "tasks", message: "tasks must be a file name", fix: 'tasks: "tasks.jsonl"' });
  if (def.adversaries !== undefined && !(Array.isArray(def.adversaries) && def.adversaries.every((f) => typeof f === "string"))) {
    issues.push({ file, field: "adversaries", message: "adversaries must be a list of scripted-policy file names", fix: 'adversaries: ["adversary-format.jsonl"]' });
  }
  return { env: issues.length === 0 ? (def as unknown as EnvDescription) : null, issues };
}
