import path from "node:path";
import { defineTool, type AnyTool, type SandboxHandle } from "@agentrl/sdk";
import type { ExecResult } from "@agentrl/protocol";
import { SWE_REPO_DIR } from "./instance.js";
import { truncateOutput } from "./truncate.js";

/** Lines `view` shows of a file when no range is given. */
const VIEW_LINES = 400;

function abs(p: string): string {
  return path.posix.isAbsolute(p) ? path.posix.normalize(p) : path.posix.join(SWE_REPO_DIR, p);
}

function shown(r: ExecResult): string {
  const parts = [r.stdout.replace(/\n$/, "")];
  if (r.stderr.trim()) parts.push(`[stderr]\n${r.stderr.replace(/\n$/, "")}`);
  if (r.timedOut) parts.push(`[timed out after ${Math.round(r.durationMs)} ms; run long jobs in the background or with a smaller scope]`);
  else if (r.exitCode !== 0) parts.push(`[exit code ${r.exitCode ?? "none (killed)"}]`);
  return parts.filter(Boolean).join("\n") || "(no output)";
}

async function isDir(sb: SandboxHandle, p: string): Promise<boolean | null> {
  const r = await sb.exec(["sh", "-c", 'if [ -d "$1" ]; then echo dir; elif [ -e "$1" ]; then echo file; else echo none; fi', "sh", p], { timeoutMs: 10_000 });
  const kind = r.stdout.trim();
  return kind === "dir" ? true : kind === "file" ? false : null;
}

/** Writes through `cat` so an existing file keeps its owner and mode (a mode change would show in the diff). */
async function writeText(sb: SandboxHandle, p: string, content: string): Promise<ExecResult> {
  return sb.exec(["sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1"', "sh", p], { stdin: content, timeoutMs: 10_000 });
}

function numbered(lines: string[], first: number): string {
  return lines.map((l, i) => `${String(first + i).padStart(6)}\t${l}`).join("\n");
}

async function readText(sb: SandboxHandle, p: string): Promise<string | null> {
  const r = await sb.exec(["cat", "--", p], { timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout : null;
}

const bash = defineTool<{ command: string }>({
  name: "bash",
  description: `Run a shell command in the repository (${SWE_REPO_DIR}) and see its output. No network.`,
  parameters: { type: "object", properties: { command: { type: "string", description: "Command line for /bin/sh -c." } }, required: ["command"], additionalProperties: false },
  async run({ command }, { sandbox }) {
    const r = await sandbox.exec(command, { cwd: SWE_REPO_DIR });
    return truncateOutput(shown(r), "run the command again piped through `head -n N`, `tail -n N` or `sed -n 'A,Bp'`, or redirect it to a file and open that with view and view_range");
  },
});

const view = defineTool<{ path: string; view_range?: number[] }>({
  name: "view",
  description: "Show a file with line numbers (optionally only view_range [first, last], 1-based, last -1 = end), or list a folder two levels deep.",
  parameters: {
    type: "object",
    properties: {
      path: { type: "string", description: `File or folder, relative to ${SWE_REPO_DIR} or absolute.` },
      view_range: { type: "array", items: { type: "integer" }, minItems: 2, maxItems: 2, description: "[first, last] line numbers." },
    },
    required: ["path"],
    additionalProperties: false,
  },
  async run({ path: p, view_range }, { sandbox }) {
    const file = abs(p);
    const kind = await isDir(sandbox, file);
    if (kind === null) return `Error: ${file} does not exist. Use view on a folder (e.g. ${SWE_REPO_DIR}) to see what is there.`;
    if (kind) {
      const r = await sandbox.exec(["sh", "-c", 'cd "$1" && find . -maxdepth 2 -not -path "*/.git" -not -path "*/.git/*" -not -path "*/__pycache__*" | sort', "sh", file], { timeoutMs: 10_000 });
      return truncateOutput(`Files in ${file} (two levels):\n${r.stdout.trim()}`, "view a subfolder");
    }
    const text = await readText(sandbox, file);
    if (text === null) return `Error: cannot read ${file}.`;
    const lines = text.replace(/\n$/, "").split("\n");
    let first = 1;
    let last = Math.min(lines.length, VIEW_LINES);
    if (view_range) {
      first = view_range[0] as number;
      last = (view_range[1] as number) === -1 ? lines.length : (view_range[1] as number);
      if (first < 1 || first > lines.length || last < first || last > lines.length) {
        return `Error: view_range [${view_range.join(", ")}] is outside the file, which has ${lines.length} lines. Use a range within [1, ${lines.length}] (last may be -1).`;
      }
    }
    let out = numbered(lines.slice(first - 1, last), first);
    if (!view_range && last < lines.length) out += `\n[... ${lines.length - last} more lines. To see more: call view with view_range [${last + 1}, ${Math.min(lines.length, last + VIEW_LINES)}]]`;
    return truncateOutput(out, "call view with a smaller view_range");
  },
});

const strReplace = defineTool<{ path: string; old_str: string; new_str: string }>({
  name: "str_replace",
  description: "Replace the one occurrence of old_str in a file with new_str (old_str must match exactly, whitespace included, and be unique).",
  parameters: {
    type: "object",
    properties: { path: { type: "string" }, old_str: { type: "string", minLength: 1 }, new_str: { type: "string" } },
    required: ["path", "old_str", "new_str"],
    additionalProperties: false,
  },
  async run({ path: p, old_str, new_str }, { sandbox }) {
    const file = abs(p);
    const text = await readText(sandbox, file);
    if (text === null) return `Error: ${file} does not exist or is not a readable file. Use create for a new file.`;
    const at: number[] = [];
    for (let i = text.indexOf(old_str); i !== -1; i = text.indexOf(old_str, i + 1)) at.push(i);
    if (at.length === 0) return `Error: old_str was not found in ${file}. View the file and copy the exact text (whitespace and indentation matter).`;
    const lineOf = (i: number): number => text.slice(0, i).split("\n").length;
    if (at.length > 1) return `Error: old_str occurs ${at.length} times in ${file} (lines ${at.map(lineOf).join(", ")}). Include more surrounding lines so it is unique.`;
    const i = at[0] as number;
    const updated = text.slice(0, i) + new_str + text.slice(i + old_str.length);
    const w = await writeText(sandbox, file, updated);
    if (w.exitCode !== 0) return `Error: cannot write ${file}: ${w.stderr.trim()}`;
    const start = Math.max(1, lineOf(i) - 3);
    const lines = updated.split("\n");
    const end = Math.min(lines.length, lineOf(i) + new_str.split("\n").length + 3);
    return `Edited ${file}. Lines ${start}-${end} now read:\n${numbered(lines.slice(start - 1, end), start)}`;
  },
});

const create = defineTool<{ path: string; file_text: string }>({
  name: "create",
  description: "Create a new file with the given content (fails if it exists: edit existing files with str_replace).",
  parameters: { type: "object", properties: { path: { type: "string" }, file_text: { type: "string" } }, required: ["path", "file_text"], additionalProperties: false },
  async run({ path: p, file_text }, { sandbox }) {
    const file = abs(p);
    if ((await isDir(sandbox, file)) !== null) return `Error: ${file} already exists. Use str_replace to edit it.`;
    const w = await writeText(sandbox, file, file_text);
    if (w.exitCode !== 0) return `Error: cannot create ${file}: ${w.stderr.trim()}`;
    return `Created ${file} (${file_text.split("\n").length} lines).`;
  },
});

const search = defineTool<{ pattern: string; path?: string }>({
  name: "search",
  description: "Search files for a regular expression (grep -E), printing file:line:text for each match.",
  parameters: {
    type: "object",
    properties: { pattern: { type: "string", minLength: 1 }, path: { type: "string", description: `Folder or file to search (default ${SWE_REPO_DIR}).` } },
    required: ["pattern"],
    additionalProperties: false,
  },
  async run({ pattern, path: p }, { sandbox }) {
    const where = abs(p ?? ".");
    const r = await sandbox.exec(["grep", "-rnIE", "--exclude-dir=.git", "--exclude-dir=__pycache__", "-e", pattern, "--", where], { cwd: SWE_REPO_DIR, timeoutMs: 30_000 });
    if (r.exitCode === 1) return `No matches for /${pattern}/ in ${where}.`;
    if (r.exitCode !== 0) return `Error: ${r.stderr.trim() || `grep exited ${r.exitCode}`}`;
    const lines = r.stdout.trimEnd().split("\n");
    return truncateOutput(`${lines.length} match${lines.length === 1 ? "" : "es"}:\n${r.stdout.trimEnd()}`, "search with a more specific pattern or a narrower path");
  },
});

const submit = defineTool<Record<string, never>>({
  name: "submit",
  description: "Finish: your changes to the repository (git diff) are what gets tested.",
  parameters: { type: "object", properties: {}, additionalProperties: false },
  run() {
    return { output: "Submitted. Your changes will be tested.", done: true, answer: "submitted" };
  },
});

/** The SWE agent tools (R2E-Gym / SWE-agent vocabulary), all acting on the repository in the sandbox. */
export const SWE_TOOLS: AnyTool[] = [bash, view, strReplace, create, search, submit];
export const SWE_TOOL_NAMES = SWE_TOOLS.map((t) => t.name);
