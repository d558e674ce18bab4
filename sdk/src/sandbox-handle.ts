import type { ExecResult } from "@agentrl/protocol";

export interface ExecOptions {
  stdin?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** The episode's sandbox as tools and rewards see it; every call runs inside the container. */
export interface SandboxHandle {
  exec(cmd: string | string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Reads one text file; a folder or a file over `maxBytes` (default 64 MiB) is refused with an error that says so. */
  readFile(path: string, opts?: { maxBytes?: number }): Promise<string>;
  writeFile(path: string, content: string): Promise<void>;
}
