import type { BuiltinToolName, ToolSpec } from "@agentrl/protocol";
import type { SandboxHandle } from "@agentrl/sdk";
import { formatExecResult } from "./format-exec.js";

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
      return { output: await sandbox.readFile(String(args.path)) };
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
