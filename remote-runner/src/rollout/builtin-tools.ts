import type { BuiltinToolName, ToolSpec } from "@agentrl/protocol";
import type { SandboxHandle } from "@agentrl/sdk";
import { SandboxFileError } from "../sandbox/types.js";
import { formatExecResult } from "./format-exec.js";

/** The most read_file returns to the model in one call: the same as a command's output cap. */
export const READ_FILE_MAX_BYTES = 1024 * 1024;

/** Why read_file was refused and what to do instead (the model reads it as a tool error). */
function readFileRefusal(err: SandboxFileError, path: string): string {
  switch (err.reason) {
    case "is_dir":
      return `${path} is a folder; read_file reads one file. List the folder with bash (ls ${path}) and read a file in it.`;
    case "too_large":
      return `${err.message}; read_file returns at most ${READ_FILE_MAX_BYTES} bytes. Read a part with bash (head -c, tail -c, sed -n '1,200p').`;
    default:
      return err.message;
  }
}

export interface BuiltinTool {
  spec: ToolSpec;
  run(args: Record<string, unknown>, sandbox: SandboxHandle, timeoutMs: number): Promise<{ output: string; exitCode?: number | null }>;
}

/** The sandbox tools every environment may switch on (Inspect AI / verifiers vocabulary). */
export const BUILTIN_TOOLS: Record<BuiltinToolName, BuiltinTool> = {
  bash: {
    spec: {
      name: "bash",
      description: "Run a shell command in the sandbox and return its output.",
      parameters: { type: "object", properties: { command: { type: "string", description: "The command line, run with /bin/sh -c." } }, required: ["command"], additionalProperties: false },
    },
    async run(args, sandbox, timeoutMs) {
      const r = await sandbox.exec(String(args.command), { timeoutMs });
      return { output: formatExecResult(r), exitCode: r.exitCode };
    },
  },
  python: {
    spec: {
      name: "python",
      description: "Run a Python 3 program in the sandbox and return what it prints.",
      parameters: { type: "object", properties: { code: { type: "string", description: "Python source code; use print() to show results." } }, required: ["code"], additionalProperties: false },
    },
    async run(args, sandbox, timeoutMs) {
      const r = await sandbox.exec(["python3", "-"], { stdin: String(args.code), timeoutMs });
      return { output: formatExecResult(r), exitCode: r.exitCode };
    },
  },
  read_file: {
    spec: {
      name: "read_file",
      description: "Read a text file from the sandbox.",
      parameters: { type: "object", properties: { path: { type: "string", description: "File path (relative to the home folder, or absolute)." } }, required: ["path"], additionalProperties: false },
    },
    async run(args, sandbox) {
      const p = String(args.path);
      try {
        return { output: await sandbox.readFile(p, { maxBytes: READ_FILE_MAX_BYTES }) };
      } catch (err) {
        throw err instanceof SandboxFileError ? new Error(readFileRefusal(err, p)) : err;
      }
    },
  },
  write_file: {
    spec: {
      name: "write_file",
      description: "Write a text file in the sandbox, replacing it if it exists.",
      parameters: {
        type: "object",
        properties: { path: { type: "string", description: "File path." }, content: { type: "string", description: "The whole new content." } },
        required: ["path", "content"],
        additionalProperties: false,
      },
    },
    async run(args, sandbox) {
      const content = String(args.content);
      await sandbox.writeFile(String(args.path), content);
      return { output: `wrote ${Buffer.byteLength(content)} bytes to ${String(args.path)}` };
    },
  },
};
