import type { ExecResult, SandboxChannel, SandboxLimits } from "@agentrl/protocol";

export type { ExecResult, SandboxChannel, SandboxLimits };

/** What a sandbox is made from. Everything not given takes the safe default. */
export interface SandboxSpec {
  /** Image reference (tag or id) already present on the Docker host; images are never pulled. */
  image: string;
  limits?: Partial<SandboxLimits>;
  env?: Record<string, string>;
  /** Working directory for commands (default: the user's home). */
  workdir?: string;
  /**
   * More writable areas beside home, /tmp and the working folder (the root filesystem is read-only),
   * each a tmpfs of `limits.diskBytes` holding the image's files there (Harbor's /logs and /tests).
   */
  writable?: string[];
  /** uid:gid the sandbox runs as; never root by default. */
  user?: string;
  /** Extra labels, added beside the ones the runner uses to find its own containers. */
  labels?: Record<string, string>;
  /** Only "none" unless a caller deliberately opts in; the sandbox then has no interface but `lo`. */
  network?: "none";
  channel?: SandboxChannel;
  /** Default per-command time limit. */
  execTimeoutMs?: number;
  /** Default cap on stdout and stderr, each. */
  maxOutputBytes?: number;
}

export interface ExecRequest {
  /** A string runs through `/bin/sh -c`; an array runs as argv. */
  cmd: string | string[];
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/** A committed sandbox filesystem that new sandboxes can start from (replay, "fork from turn N"). */
export interface SnapshotRef {
  imageId: string;
  tag: string;
  fromSandbox: string;
}

export interface Sandbox {
  readonly id: string;
  readonly image: string;
  readonly channel: SandboxChannel;
  exec(req: ExecRequest): Promise<ExecResult>;
  writeFile(path: string, data: string | Uint8Array, mode?: number): Promise<void>;
  /** Reads one regular file; a folder, a device or a file over `maxBytes` (default 64 MiB) is a SandboxFileError. */
  readFile(path: string, opts?: { maxBytes?: number }): Promise<Buffer>;
  /** Writes a folder: keys are paths relative to `dir`. */
  writeDir(dir: string, files: Record<string, string | Uint8Array>): Promise<void>;
  /** Reads every regular file under `dir`, keyed by path relative to `dir`. */
  readDir(dir: string): Promise<Map<string, Buffer>>;
  /** Ends every process the sandbox runs but its own agent (before scoring, so nothing the model started survives). */
  killAll(): Promise<void>;
  /**
   * One request/reply with a service listening on a unix socket inside the sandbox (the GUI desktop
   * daemon). The agent channel does it in-process; the exec channel runs a small client.
   */
  unixRequest(socketPath: string, data: Uint8Array, timeoutMs?: number): Promise<Buffer>;
  snapshot(tag?: string): Promise<SnapshotRef>;
  /** False once the container has stopped or vanished. */
  alive(): Promise<boolean>;
  destroy(): Promise<void>;
}

export interface SandboxProvider {
  /** Creates and starts a sandbox. */
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** Starts a new sandbox whose filesystem is the snapshot's. */
  fromSnapshot(snapshot: SnapshotRef, spec?: Omit<SandboxSpec, "image">): Promise<Sandbox>;
  /** Removes containers that a runner which is no longer alive left behind; returns how many. */
  reapOrphans(): Promise<number>;
}

export type SandboxErrorCode =
  | "daemon_unreachable"
  | "image_missing"
  | "create_failed"
  | "sandbox_died"
  | "file_error"
  | "snapshot_failed"
  | "exec_failed";

/**
 * A failure of the sandbox infrastructure, not of the agent: the rollout engine retries these
 * and keeps them apart from agent failures (a command that exits non-zero is a normal ExecResult).
 */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly infra = true;
  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SandboxError";
    this.code = code;
  }
}

/** Why a file operation failed, for callers that answer the model differently per cause. */
export type SandboxFileReason = "not_found" | "is_dir" | "not_regular" | "too_large" | "no_space" | "denied" | "error";

/** A file operation the sandbox refused (missing, a folder, too large, disk full): not an infrastructure failure by itself. */
export class SandboxFileError extends SandboxError {
  readonly reason: SandboxFileReason;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super("file_error", message, options);
    this.name = "SandboxFileError";
    const known: SandboxFileReason[] = ["not_found", "is_dir", "not_regular", "too_large", "no_space", "denied"];
    this.reason = known.find((k) => k === reason) ?? "error";
  }
}
