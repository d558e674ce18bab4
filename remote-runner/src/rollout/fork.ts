import type { TypedAction, Trajectory } from "@agentrl/protocol";
import { ScriptedPolicy, type ScriptedTurn } from "../policy/scripted.js";
import type { Policy, PolicyRequest, PolicyResponse } from "../policy/types.js";

/** The recorded turns before `turn`, as a script: replaying them re-runs their tool calls in a fresh sandbox. */
export function replayScript(t: Pick<Trajectory, "turns">, turn: number): ScriptedTurn[] {
  return t.turns.slice(0, turn).map((x) => ({
    content: x.assistant.content,
    ...(x.assistant.toolCalls?.length ? { tool_calls: x.assistant.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments ?? c.rawArguments })) } : {}),
  }));
}

/**
 * The policy of a fork: the original's turns before `turn` replayed as recorded, then the action
 * the user typed (if any) as turn `turn`, then `continueWith` for the turns after (or an empty
 * answer, which ends the episode).
 */
export function forkPolicy(original: Pick<Trajectory, "turns" | "taskId">, turn: number, action: TypedAction | undefined, continueWith: Policy | null): Policy {
  const script: ScriptedTurn[] = replayScript(original, turn);
  if (action) script.push({ content: action.content ?? "", ...(action.toolCalls?.length ? { tool_calls: action.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments })) } : {}) });
  const scripted = new ScriptedPolicy(`fork of ${original.taskId}`, {
    name: "fork",
    turnsFor: (id) => (id === original.taskId ? script : undefined),
    missing: (id) => `a fork plays task ${original.taskId} only, not ${id}`,
  });
  return {
    name: continueWith ? `fork → ${continueWith.name}` : "fork",
    chat: (req: PolicyRequest): Promise<PolicyResponse> => (continueWith && req.turn >= script.length ? continueWith.chat(req) : scripted.chat(req)),
  };
}
