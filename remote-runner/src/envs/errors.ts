/** One problem in an environment folder, located and with the fix spelled out. */
export interface EnvIssue {
  /** File the problem is in (relative to the env folder when inside it). */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** Field path inside the file, e.g. `tools[1].parameters` or `id`. */
  field?: string;
  message: string;
  fix: string;
}

export function formatIssue(i: EnvIssue): string {
  const where = `${i.file}${i.line !== undefined ? `:${i.line}` : ""}${i.field ? ` (${i.field})` : ""}`;
  return `${where}: ${i.message}. Fix: ${i.fix}`;
}

/** An environment that cannot be loaded; lists every problem found, not just the first. */
export class EnvLoadError extends Error {
  constructor(
    readonly dir: string,
    readonly issues: EnvIssue[],
  ) {
    super(`environment ${dir} has ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join("\n")}`);
    this.name = "EnvLoadError";
  }
}
