import { KindTaskError } from "../types.js";

/** What went wrong with one SWE task (not with the agent): the task is reported and the run goes on. */
export type SweTaskErrorCode =
  | "invalid_task"
  | "repo_unavailable"
  | "base_commit_missing"
  | "test_patch_invalid"
  | "install_failed"
  | "tests_timeout"
  | "unsupported_framework";

export class SweTaskError extends KindTaskError {
  constructor(
    readonly code: SweTaskErrorCode,
    message: string,
    readonly taskId?: string,
    options?: { cause?: unknown },
  ) {
    super(taskId ? `task "${taskId}": ${message}` : message, code === "tests_timeout", options);
    this.name = "SweTaskError";
  }
}
