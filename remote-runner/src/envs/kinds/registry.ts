import type { Task } from "@agentrl/protocol";
import type { EnvDescription } from "../description.js";
import type { ScriptedTurn } from "../../policy/scripted.js";
import type { ProgressFn } from "../../images/progress.js";
import type { EnvIssue } from "../errors.js";
import { GUI_KIND } from "./gui/kind.js";
import { HARBOR_KIND } from "./harbor/kind.js";
import { SWE_KIND } from "./swe/kind.js";
import { TOOL_KIND } from "./tool/kind.js";
import type { EnvKind, KindInstance } from "./types.js";

/**
 * Every environment kind the runner knows, by the `kind` value of a definition. Adding a kind is a
 * folder under envs/kinds/ plus one line here (and its options type in the SDK's union).
 */
const KINDS: readonly EnvKind[] = [TOOL_KIND, SWE_KIND, GUI_KIND, HARBOR_KIND];

const BY_NAME = new Map<string, EnvKind>(KINDS.map((k) => [k.name, k]));

/** The names of the registered kinds (the engine-purity test greps the engine for them). */
export function kindNames(): string[] {
  return [...BY_NAME.keys()];
}

/** The kind a definition names (tool when it names none), or null for a name no kind has. */
export function findKind(def: Pick<EnvDescription, "kind">): EnvKind | null {
  return BY_NAME.get(def.kind ?? "tool") ?? null;
}

/** The env module of a folder without env.ts that holds some kind's tasks as users bring them, else null. */
export function folderEnvSource(dir: string): string | null {
  for (const k of KINDS) {
    const src = k.folderEnv?.(dir);
    if (src) return src;
  }
  return null;
}

/** The load-time problem of a definition whose kind is not registered, with the fix. */
export function unknownKindIssue(def: Pick<EnvDescription, "kind">, file: string): EnvIssue | null {
  if (findKind(def)) return null;
  return { file, field: "kind", message: `unknown environment kind ${JSON.stringify(def.kind)}`, fix: `use one of ${kindNames().join(", ")} (or leave kind out for tool)` };
}

/** A loaded environment as the registry needs it (kept structural so envs/load.ts and this module do not import each other). */
export interface KindHost {
  dir: string;
  def: EnvDescription;
}

const instances = new WeakMap<KindHost, KindInstance>();

/** The reference solutions of an environment's tasks as its kind gives them (`--policy oracle`). */
export function oracleFor(env: KindHost & { tasks: Task[] }): { reference(taskId: string): ScriptedTurn[] | null } {
  const byId = new Map(env.tasks.map((t) => [t.id, t]));
  return {
    reference: (taskId) => {
      const task = byId.get(taskId);
      const kind = kindHooksFor(env);
      return task && kind.reference ? kind.reference(task) : null;
    },
  };
}

/**
 * The kind instance of a loaded environment: one per environment, so images and repositories are
 * prepared once per run, not per episode.
 */
export function kindHooksFor(env: KindHost, progress?: ProgressFn): KindInstance {
  const cached = instances.get(env);
  if (cached) return cached;
  const kind = findKind(env.def);
  if (!kind) throw new Error(unknownKindIssue(env.def, "env.ts")?.message ?? "unknown kind");
  const made = kind.create({ dir: env.dir, def: env.def, progress });
  instances.set(env, made);
  return made;
}
