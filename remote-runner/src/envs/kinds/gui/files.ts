import type { DesktopSandbox } from "./desktop.js";

/** One sheet of a spreadsheet: its name and its rows of cell values (null for an empty cell). */
export interface Sheet {
  name: string;
  rows: (string | number | boolean | null)[][];
}

export type TableReader = (name: string, data: Buffer) => Promise<Sheet[]>;

/**
 * A file a getter fetched (OSWorld's getters hand metrics a local copy's path; here the metric gets
 * the bytes). Text metrics read `text`; table metrics read `sheets()`, parsed once on demand.
 */
export class FileValue {
  private parsed: Promise<Sheet[]> | null = null;

  constructor(
    readonly path: string,
    readonly data: Buffer,
    private readonly reader: TableReader,
  ) {}

  get text(): string {
    return this.data.toString("utf8");
  }

  sheets(): Promise<Sheet[]> {
    this.parsed ??= this.reader(this.path, this.data);
    return this.parsed;
  }
}

/** The text of a getter's value: a fetched file's contents, a string as is, anything else null. */
export function textOf(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v instanceof FileValue) return v.text;
  return null;
}

const READ_TABLE = "/opt/agentrl/read_table.py";
/** What the reader may print (200,000 cells as JSON). */
const MAX_TABLE_JSON = 32 << 20;

/**
 * Parses a spreadsheet (XLSX through openpyxl, CSV through Python's csv module) inside the
 * desktop's sandbox, where those libraries are: the bytes go in on stdin (no path the agent could
 * swap) and `python3 -I` keeps the agent's site-packages and PYTHON* variables out.
 */
export function sandboxTableReader(sandbox: DesktopSandbox): TableReader {
  return async (name, data) => {
    const r = await sandbox.exec({ cmd: ["python3", "-I", READ_TABLE, name], stdin: data, timeoutMs: 60_000, maxOutputBytes: MAX_TABLE_JSON });
    if (r.exitCode !== 0) throw new Error(`reading ${name} as a table failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(-300)}`);
    let out: unknown;
    try {
      out = JSON.parse(r.stdout);
    } catch {
      throw new Error(`reading ${name} as a table gave no JSON: ${r.stdout.slice(0, 200)}`);
    }
    const o = out as { sheets?: Sheet[]; error?: string };
    if (typeof o.error === "string") throw new Error(o.error);
    if (!Array.isArray(o.sheets)) throw new Error(`reading ${name} as a table gave no sheets`);
    return o.sheets;
  };
}
