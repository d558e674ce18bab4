import type { ExecOptions, JudgeHandle, SandboxHandle } from "@agentrl/sdk";
import { validateJudgeRequest } from "../rewards/judge-client.js";

/** The runner's capabilities a bundle call may use: the episode's sandbox, the LLM judge (rewards). */
export interface Capabilities {
  sandbox?: SandboxHandle;
  judge?: JudgeHandle;
}

function command(raw: unknown): string | string[] {
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw) && raw.length > 0 && raw.every((a): a is string => typeof a === "string")) return raw;
  throw new Error("sandbox.exec needs a command string or a non-empty array of strings");
}

function execOptions(raw: unknown): ExecOptions {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object") throw new Error("sandbox.exec options must be an object { stdin?, cwd?, env?, timeoutMs? }");
  const o = raw as Record<string, unknown>;
  const out: ExecOptions = {};
  if (typeof o.stdin === "string") out.stdin = o.stdin;
  if (typeof o.cwd === "string") out.cwd = o.cwd;
  if (typeof o.timeoutMs === "number" && Number.isFinite(o.timeoutMs) && o.timeoutMs > 0) out.timeoutMs = o.timeoutMs;
  if (o.env && typeof o.env === "object") out.env = Object.fromEntries(Object.entries(o.env).filter((e): e is [string, string] => typeof e[1] === "string"));
  return out;
}

function maxBytes(raw: unknown): { maxBytes?: number } {
  const n = raw && typeof raw === "object" ? (raw as { maxBytes?: unknown }).maxBytes : undefined;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? { maxBytes: n } : {};
}

/**
 * One capability call from bundle code. Its arguments come from that code and are checked before
 * use; a call the bundle has no handle for (a judge outside rewards) is refused, naming it.
 */
export async function capabilityCall(caps: Capabilities, method: unknown, args: unknown): Promise<unknown> {
  const a: unknown[] = Array.isArray(args) ? args : [];
  const sb = caps.sandbox;
  {
    if (method === "judge") {
      if (!caps.judge) throw new Error("ctx.judge is available to rewards only");
      return caps.judge.complete(validateJudgeRequest(a[0]));
    }
    if (!sb) throw new Error("this call has no sandbox");
    switch (method) {
      case "exec":
        return sb.exec(command(a[0]), execOptions(a[1]));
      case "readFile":
        return sb.readFile(String(a[0]), maxBytes(a[1]));
      case "writeFile":
        return sb.writeFile(String(a[0]), String(a[1]));
      default:
        throw new Error(`unknown sandbox call ${JSON.stringify(method)}`);
    }
  }
}
