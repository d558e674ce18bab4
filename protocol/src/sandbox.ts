/** What one command run inside a sandbox produced. Shared so trajectories and the inspector can show it verbatim. */
export interface ExecResult {
  /** Process exit code; null when the process was killed (timeout, out-of-memory) before it exited. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Killed because it ran past its time limit. */
  timedOut: boolean;
  /** stdout or stderr went past the output cap and the rest was dropped. */
  truncated: boolean;
  /** The kernel's out-of-memory killer fired inside the sandbox while the command ran. */
  oomKilled: boolean;
  durationMs: number;
}

export interface SandboxLimits {
  /** Hard memory limit in bytes (no swap beyond it). */
  memoryBytes: number;
  /** Maximum number of processes and threads. */
  pids: number;
  /** CPU quota in cores (may be fractional). */
  cpus: number;
  /**
   * Size of each writable area (home, /tmp, the working folder; the root filesystem is read-only) and
   * the largest file a process may write. The areas are memory-backed, so what is written also counts
   * against memoryBytes.
   */
  diskBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  memoryBytes: 512 * 1024 * 1024,
  pids: 256,
  cpus: 1,
  diskBytes: 256 * 1024 * 1024,
};

/** How commands reach the container: a long-lived agent process over the attach stream, or one `docker exec` per command. */
export type SandboxChannel = "agent" | "exec";
