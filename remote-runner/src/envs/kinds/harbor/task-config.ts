import { parse, TomlError } from "smol-toml";

/** What this runner takes from a Harbor task's `task.toml` (the rest, e.g. `[metadata]`, is kept as is). */
export interface HarborTaskConfig {
  /** `[verifier] timeout_sec`: the time limit of tests/test.sh (Harbor's default 600 s). */
  verifierTimeoutSec: number;
  /** `[verifier.env]`: environment variables of tests/test.sh. */
  verifierEnv: Record<string, string>;
  /** `[agent] timeout_sec`: the episode's time limit, when given. */
  agentTimeoutSec: number | null;
  /** `[environment] cpus`. */
  cpus: number | null;
  /** `[environment] memory_mb`, or `memory` as "2G" / "512M". */
  memoryMb: number | null;
  /** `[environment] storage_mb`, or `storage` as "10G": read, not enforced (sandboxes have no disk quota here). */
  storageMb: number | null;
  /** `[environment] allow_internet` (or `network_mode = "public"`): never granted, see the kind. */
  allowInternet: boolean;
  /** `[environment] docker_image`: a prebuilt image, which cannot be pulled here. */
  dockerImage: string | null;
  metadata: Record<string, unknown>;
}

const DEFAULT_VERIFIER_TIMEOUT_SEC = 600;

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** "2G", "512M", "1024" (MB) → megabytes; null for anything else. */
export function sizeToMb(v: unknown): number | null {
  if (typeof v === "number" && v > 0) return v;
  if (typeof v !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const factor = unit === "k" ? 1 / 1024 : unit === "g" ? 1024 : unit === "t" ? 1024 * 1024 : 1;
  return n * factor;
}

/**
 * Reads `task.toml` (TOML 1.0, parsed by smol-toml). Returns the config and every problem found,
 * each naming the key and the fix; unknown keys are allowed, as in Harbor.
 */
export function parseTaskToml(text: string): { config: HarborTaskConfig; problems: string[] } {
  const problems: string[] = [];
  let doc: Record<string, unknown> = {};
  try {
    doc = parse(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : "";
    problems.push(`task.toml is not valid TOML${where}: ${(err as Error).message.split("\n")[0]}. Fix: correct the syntax`);
  }
  const table = (key: string): Record<string, unknown> => {
    const v = doc[key];
    if (v === undefined) return {};
    if (isTable(v)) return v;
    problems.push(`[${key}] must be a table. Fix: write it as a [${key}] section`);
    return {};
  };
  const verifier = table("verifier");
  const agent = table("agent");
  const environment = table("environment");
  const seconds = (t: Record<string, unknown>, section: string): number | null => {
    const v = t.timeout_sec;
    if (v === undefined) return null;
    if (typeof v === "number" && v > 0) return v;
    problems.push(`[${section}] timeout_sec must be a positive number of seconds, got ${JSON.stringify(v)}. Fix: e.g. timeout_sec = 120.0`);
    return null;
  };
  const size = (mbKey: string, strKey: string): number | null => {
    const raw = environment[mbKey] ?? environment[strKey];
    if (raw === undefined) return null;
    const mb = sizeToMb(raw);
    if (mb === null) problems.push(`[environment] ${environment[mbKey] !== undefined ? mbKey : strKey} = ${JSON.stringify(raw)} is not a size. Fix: ${mbKey} = 2048 or ${strKey} = "2G"`);
    return mb;
  };
  const env: Record<string, string> = {};
  const verifierEnv = verifier.env;
  if (isTable(verifierEnv)) for (const [k, v] of Object.entries(verifierEnv)) env[k] = String(v);
  const cpus = environment.cpus;
  if (cpus !== undefined && !(typeof cpus === "number" && cpus > 0)) problems.push(`[environment] cpus must be a positive number, got ${JSON.stringify(cpus)}. Fix: e.g. cpus = 1`);
  const image = environment.docker_image;
  return {
    config: {
      verifierTimeoutSec: seconds(verifier, "verifier") ?? DEFAULT_VERIFIER_TIMEOUT_SEC,
      verifierEnv: env,
      agentTimeoutSec: seconds(agent, "agent"),
      cpus: typeof cpus === "number" && cpus > 0 ? cpus : null,
      memoryMb: size("memory_mb", "memory"),
      storageMb: size("storage_mb", "storage"),
      allowInternet: environment.allow_internet === true || environment.network_mode === "public",
      dockerImage: typeof image === "string" && image.trim() ? image.trim() : null,
      metadata: table("metadata"),
    },
    problems,
  };
}
