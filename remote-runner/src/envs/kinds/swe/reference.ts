import { SWE_REPO_DIR } from "./instance.js";
import { parseHunks } from "./patch.js";

/** One turn of a scripted policy (the scripted policy's JSONL format). */
export interface ScriptTurn {
  content: string;
  tool_calls: { name: string; arguments: Record<string, unknown> }[];
}

/**
 * A reference solution acted out through the agent tools: look at the repository, apply each hunk
 * of the gold patch with str_replace (new files with create), check the diff, submit. Replaying it
 * must resolve the task; that it does is the proof that tools, diff extraction and scoring agree.
 */
export function referenceTurns(goldPatch: string): ScriptTurn[] {
  const hunks = parseHunks(goldPatch);
  if (hunks.length === 0) throw new Error("the gold patch has no hunks; a reference solution needs a non-empty patch");
  const edits = hunks.map((h) =>
    h.newFile
      ? { name: "create", arguments: { path: h.file, file_text: `${h.after}\n` } }
      : { name: "str_replace", arguments: { path: h.file, old_str: h.before, new_str: h.after } },
  );
  return [
    { content: "Let me look at the repository.", tool_calls: [{ name: "view", arguments: { path: SWE_REPO_DIR } }] },
    { content: "Applying the fix.", tool_calls: edits },
    { content: "Checking the change.", tool_calls: [{ name: "bash", arguments: { command: "git diff --stat" } }] },
    { content: "Done.", tool_calls: [{ name: "submit", arguments: {} }] },
  ];
}
