// The `agentrl` CLI from source, as a child process with its own AGENTRL_HOME: what the CLI tests share.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, "../..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `agentrl ARGS` (remote-runner/src/cli/main.ts under tsx) in the repository root; never throws on a non-zero exit. */
export async function runAgentrl(home: string, args: string[]): Promise<CliResult> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "remote-runner/src/cli/main.ts"), ...args], { cwd: REPO_ROOT, env: { ...process.env, AGENTRL_HOME: home }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The last stdout line as JSON (what `--json` prints). */
export function lastJsonLine<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout.trim().split("\n").pop() ?? "") as T;
}
