import type { PolicyConfig } from "@agentrl/protocol";

/** Policy flags shared by rollout and preflight. */
export interface PolicyFlags {
  policy: string;
  model?: string;
  stream?: boolean;
  toolFormat?: string;
  temperature?: number;
  maxTokens?: number;
  policyTimeout?: number;
  retries?: number;
  tokenIds?: boolean;
}

export function policyConfigFrom(f: PolicyFlags): PolicyConfig {
  const tf = f.toolFormat;
  if (tf !== undefined && tf !== "native" && tf !== "hermes" && tf !== "auto") throw new Error(`--tool-format must be native, hermes or auto, not "${tf}"`);
  const c: PolicyConfig = { spec: f.policy };
  if (f.model) c.model = f.model;
  if (f.stream) c.stream = true;
  if (tf) c.toolFormat = tf;
  if (f.temperature !== undefined) c.temperature = f.temperature;
  if (f.maxTokens !== undefined) c.maxTokens = f.maxTokens;
  if (f.policyTimeout !== undefined) c.timeoutMs = f.policyTimeout;
  if (f.retries !== undefined) c.retries = f.retries;
  if (f.tokenIds) c.returnTokenIds = true;
  return c;
}

export function intArg(name: string, min = 1): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}, got "${v}". Fix: pass ${name} ${min === 0 ? "0, 1, 2, …" : `${min}, ${min + 1}, …`}`);
    return n;
  };
}

export function numArg(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${v}"`);
    return n;
  };
}

/** A plain text table (stdout), columns padded to their widest cell. */
export function table(header: string[], rows: (string | number)[][], opts: { leftAlign?: boolean } = {}): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 || opts.leftAlign ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

export function fmt(n: number | null | undefined, digits = 3): string {
  return n === null || n === undefined ? "n/a" : n.toFixed(digits);
}
