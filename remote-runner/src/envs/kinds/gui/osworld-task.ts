import { GETTERS } from "./getters.js";
import { METRICS } from "./metrics.js";

/** One setup step of an OSWorld task (`config[]`). */
export interface SetupStep {
  type: string;
  parameters?: Record<string, unknown>;
}

export interface Getter {
  type: string;
  [key: string]: unknown;
}

export interface Evaluator {
  func: string | string[];
  result?: Getter | Getter[];
  expected?: Getter | Getter[];
  options?: Record<string, unknown> | Record<string, unknown>[];
  conj?: "and" | "or";
  postconfig?: SetupStep[];
}

/** A task in OSWorld's published JSON form (fields we don't use are kept, not rejected). */
export interface OSWorldTask {
  id: string;
  instruction: string;
  config: SetupStep[];
  evaluator: Evaluator;
  snapshot?: string;
  source?: string;
  related_apps?: string[];
  /** Screen size; an AgentRL extension (OSWorld VMs are 1920x1080). */
  screen?: { width: number; height: number };
  [key: string]: unknown;
}

/**
 * The argv (or shell string) of an OSWorld command, as its VM server runs it: a list is argv, or
 * one shell line with `shell: true`; a string runs through the shell, or is split on spaces with
 * `shell: false`.
 */
export function commandArgv(command: unknown, shell: unknown): string | string[] {
  if (Array.isArray(command)) return shell === true ? command.map(String).join(" ") : command.map(String);
  if (typeof command === "string") return shell === false ? command.split(" ").filter(Boolean) : command;
  throw new OSWorldTaskError('needs "command" as a string or a list');
}

export const SETUP_STEP_TYPES = ["execute", "command", "launch", "open", "sleep", "upload_file", "download"] as const;

export class OSWorldTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OSWorldTaskError";
  }
}

/** Load-time check of a gui environment's tasks, as the loader's issues (file, line, fix). */
export function osworldTaskIssues(tasks: unknown[], lines: number[], file: string): { file: string; line?: number; message: string; fix: string }[] {
  const issues: { file: string; line?: number; message: string; fix: string }[] = [];
  tasks.forEach((t, i) => {
    try {
      validateOSWorldTask(t, "task");
    } catch (err) {
      issues.push({ file, line: lines[i], message: (err as Error).message, fix: "write the task in OSWorld's form with supported setup steps, getters and metrics" });
    }
  });
  return issues;
}

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Checks a task before any sandbox starts: every error names the task, the field and the fix;
 * an unsupported metric, getter or setup step lists the supported ones.
 */
export function validateOSWorldTask(raw: unknown, where = "task"): OSWorldTask {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new OSWorldTaskError(`${where}: a task must be a JSON object`);
  const t = raw as Record<string, unknown>;
  const id = typeof t.id === "string" && t.id ? t.id : null;
  const at = id ? `${where} "${id}"` : where;
  if (!id) throw new OSWorldTaskError(`${where}: field "id" must be a non-empty string`);
  if (typeof t.instruction !== "string" || !t.instruction.trim()) throw new OSWorldTaskError(`${at}: field "instruction" must be a non-empty string`);
  const config = t.config ?? [];
  if (!Array.isArray(config)) throw new OSWorldTaskError(`${at}: field "config" must be a list of {type, parameters}`);
  config.forEach((s, i) => {
    const step = s as SetupStep;
    if (!step || typeof step.type !== "string") throw new OSWorldTaskError(`${at}: config[${i}] needs a "type"`);
    if (!(SETUP_STEP_TYPES as readonly string[]).includes(step.type)) {
      throw new OSWorldTaskError(`${at}: config[${i}] has unsupported type "${step.type}"; supported: ${SETUP_STEP_TYPES.join(", ")}`);
    }
    const files = step.parameters?.files;
    if (step.type === "download" && !(Array.isArray(files) && files.length > 0 && files.every((f) => typeof f?.url === "string" && typeof f?.path === "string"))) {
      throw new OSWorldTaskError(`${at}: config[${i}] (download) needs parameters.files: a list of {url, path}`);
    }
  });
  const ev = t.evaluator as Evaluator | undefined;
  if (!ev || typeof ev !== "object") throw new OSWorldTaskError(`${at}: field "evaluator" is required ({func, result, expected, options, conj})`);
  const funcs = asList(ev.func);
  if (funcs.length === 0) throw new OSWorldTaskError(`${at}: evaluator.func must name a metric or a list of metrics`);
  for (const f of funcs) {
    if (f !== "infeasible" && !(f in METRICS)) {
      throw new OSWorldTaskError(`${at}: evaluator.func "${f}" is not supported; supported metrics: ${["infeasible", ...Object.keys(METRICS)].join(", ")}`);
    }
  }
  for (const side of ["result", "expected"] as const) {
    const getters = asList(ev[side]);
    if (funcs.length > 1 && getters.length > 0 && getters.length !== funcs.length) {
      throw new OSWorldTaskError(`${at}: evaluator.${side} must have one getter per func (${funcs.length}), got ${getters.length}`);
    }
    getters.forEach((g, i) => {
      if (!g || typeof g.type !== "string") throw new OSWorldTaskError(`${at}: evaluator.${side}[${i}] needs a "type"`);
      if (!(g.type in GETTERS)) throw new OSWorldTaskError(`${at}: evaluator.${side} getter "${g.type}" is not supported; supported getters: ${Object.keys(GETTERS).join(", ")}`);
    });
  }
  if (ev.conj !== undefined && ev.conj !== "and" && ev.conj !== "or") throw new OSWorldTaskError(`${at}: evaluator.conj must be "and" or "or"`);
  const screen = t.screen as OSWorldTask["screen"];
  if (screen !== undefined && !(Number.isInteger(screen?.width) && Number.isInteger(screen?.height) && screen.width >= 320 && screen.height >= 240 && screen.width <= 3840 && screen.height <= 2160)) {
    throw new OSWorldTaskError(`${at}: "screen" must be {width, height} in pixels between 320x240 and 3840x2160`);
  }
  return { ...(t as OSWorldTask), config: config as SetupStep[] };
}
