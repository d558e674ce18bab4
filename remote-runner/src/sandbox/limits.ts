import os from "node:os";
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from "@agentrl/protocol";

/** The most a sandbox may ask for on this runner: a limit above it is no limit at all. */
export function runnerMaxLimits(): SandboxLimits {
  return { memoryBytes: os.totalmem(), pids: 32_768, cpus: os.cpus().length, diskBytes: 64 * 1024 ** 3 };
}

const UNITS: Record<keyof SandboxLimits, { what: string; integer: boolean; example: string }> = {
  memoryBytes: { what: "bytes of memory", integer: true, example: `${DEFAULT_SANDBOX_LIMITS.memoryBytes} (512 MiB)` },
  pids: { what: "processes and threads", integer: true, example: String(DEFAULT_SANDBOX_LIMITS.pids) },
  cpus: { what: "CPU cores", integer: false, example: "1 or 0.5" },
  diskBytes: { what: "bytes per writable area", integer: true, example: `${DEFAULT_SANDBOX_LIMITS.diskBytes} (256 MiB)` },
};

/**
 * Problems with sandbox limits, one per field, each naming the field and the fix. Docker reads 0 or a
 * negative number as "no limit", so those are refused rather than passed on.
 */
export function sandboxLimitIssues(limits: unknown, max: SandboxLimits = runnerMaxLimits()): { field: string; message: string; fix: string }[] {
  if (limits === undefined) return [];
  if (typeof limits !== "object" || limits === null || Array.isArray(limits)) {
    return [{ field: "sandbox.limits", message: `sandbox.limits must be an object, got ${JSON.stringify(limits)}`, fix: "sandbox: { limits: { memoryBytes, pids, cpus, diskBytes } } (each optional)" }];
  }
  const issues: { field: string; message: string; fix: string }[] = [];
  for (const [key, value] of Object.entries(limits)) {
    const field = `sandbox.limits.${key}`;
    const unit = UNITS[key as keyof SandboxLimits];
    if (!unit) {
      issues.push({ field, message: `unknown sandbox limit "${key}"`, fix: `use ${Object.keys(UNITS).join(", ")}` });
      continue;
    }
    const top = max[key as keyof SandboxLimits];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || (unit.integer && !Number.isInteger(value))) {
      issues.push({ field, message: `${field} must be a positive ${unit.integer ? "whole " : ""}number of ${unit.what}, got ${JSON.stringify(value)} (0 or a negative number would mean no limit)`, fix: `set it to e.g. ${unit.example}, or leave it out for the default` });
    } else if (value > top) {
      issues.push({ field, message: `${field} is ${value}, above this runner's maximum of ${top} ${unit.what}`, fix: `set it to at most ${top}` });
    }
  }
  return issues;
}
