import { FileValue, textOf, type Sheet } from "./files.js";
import type { Metric } from "./metrics.js";

type Cell = Sheet["rows"][number][number];

/** OSWorld's value rules (`_match_value_to_rule`): eq, ne, lt, le, gt, ge, re, approx:<tolerance>. */
export function matchValue(value: unknown, rule: { method?: unknown; ref?: unknown }): boolean {
  const method = String(rule.method ?? "eq");
  const ref = rule.ref;
  const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN);
  if (method.startsWith("approx:")) return Math.abs(num(value) - num(ref)) <= Number(method.slice(7));
  switch (method) {
    case "eq":
      return value === ref || (typeof value === "number" && num(ref) === value);
    case "ne":
      return !(value === ref || (typeof value === "number" && num(ref) === value));
    case "lt":
      return num(value) < num(ref);
    case "le":
      return num(value) <= num(ref);
    case "gt":
      return num(value) > num(ref);
    case "ge":
      return num(value) >= num(ref);
    case "re":
      return typeof value === "string" && new RegExp(String(ref)).test(value);
    default:
      throw new Error(`unknown value rule method "${method}" (use eq, ne, lt, le, gt, ge, re, approx:<tolerance>)`);
  }
}

/** The rows without trailing empty cells and rows: what a sheet holds, whatever range the file claims. */
function trimmed(rows: Cell[][]): Cell[][] {
  const out = rows.map((r) => {
    let n = r.length;
    while (n > 0 && (r[n - 1] === null || r[n - 1] === "")) n--;
    return r.slice(0, n);
  });
  while (out.length && (out[out.length - 1] as Cell[]).length === 0) out.pop();
  return out;
}

function sameSheet(a: Sheet, b: Sheet): boolean {
  return JSON.stringify(trimmed(a.rows)) === JSON.stringify(trimmed(b.rows));
}

/** "A1" → [row, col], zero-based. */
function coordinate(ref: unknown): [number, number] {
  const m = /^([A-Z]+)([1-9][0-9]*)$/.exec(String(ref));
  if (!m) throw new Error(`check_cell: "${String(ref)}" is not a cell coordinate like B5`);
  const col = [...(m[1] as string)].reduce((n, c) => n * 26 + c.charCodeAt(0) - 64, 0) - 1;
  return [Number(m[2]) - 1, col];
}

/**
 * OSWorld's sheet index: a number (the result's sheet), or "RI0"/"EI0" (result/expected by index),
 * "RNName"/"ENName" (by name).
 */
function pick(idx: unknown, result: Sheet[], expected: Sheet[]): Sheet | undefined {
  if (typeof idx === "number") return result[idx];
  const m = /^([RE])([IN])(.*)$/.exec(String(idx));
  if (!m) throw new Error(`compare_table: sheet index "${String(idx)}" is not a number or RI<n>/EI<n>/RN<name>/EN<name>`);
  const book = m[1] === "R" ? result : expected;
  return m[2] === "I" ? book[Number(m[3])] : book.find((s) => s.name === m[3]);
}

type Rule = Record<string, unknown> & { type?: unknown };

function checkRule(rule: Rule, result: Sheet[], expected: Sheet[]): boolean {
  switch (rule.type) {
    case "sheet_data": {
      const a = pick(rule.sheet_idx0, result, expected);
      const b = pick(rule.sheet_idx1, result, expected);
      return a !== undefined && b !== undefined && sameSheet(a, b);
    }
    case "sheet_name":
      return JSON.stringify(result.map((s) => s.name)) === JSON.stringify(expected.map((s) => s.name));
    case "check_cell": {
      const sheet = pick(rule.sheet_idx ?? 0, result, expected);
      const [row, col] = coordinate(rule.coordinate);
      const value = sheet?.rows[row]?.[col] ?? null;
      const props = (rule.props ?? {}) as Record<string, { method?: unknown; ref?: unknown }>;
      return Object.entries(props).every(([prop, r]) => {
        if (prop !== "value") throw new Error(`check_cell: only the "value" property can be checked, not "${prop}"`);
        return matchValue(value, r);
      });
    }
    default:
      throw new Error(`compare_table: rule type "${String(rule.type)}" is not supported (use sheet_data, sheet_name, check_cell)`);
  }
}

async function sheetsOf(v: unknown): Promise<Sheet[] | null> {
  if (!(v instanceof FileValue)) return null;
  try {
    return await v.sheets();
  } catch {
    return null; // not a spreadsheet the reader knows: as OSWorld, an unreadable result scores 0
  }
}

/** Rows of a CSV (first row the header) as records of text, for check_csv. */
function records(sheet: Sheet): Record<string, string>[] {
  const [header = [], ...rows] = sheet.rows;
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [String(h ?? ""), r[i] === null || r[i] === undefined ? "" : String(r[i])])));
}

/** OSWorld's spreadsheet metrics (desktop_env/evaluators/metrics/table.py), on XLSX or CSV files. */
export const TABLE_METRICS: Record<string, Metric> = {
  /** All rules pass; without rules, every sheet of the result holds the same cells as the expected one. */
  compare_table: async (r, e, options) => {
    const result = await sheetsOf(r);
    if (!result) return 0;
    const rules = options.rules as Rule[] | undefined;
    // The expected side is a file (compared sheet by sheet) or absent (rules that only read the result).
    const expected = e instanceof FileValue ? await sheetsOf(e) : [];
    if (!expected) return 0;
    if (!rules) return result.length === expected.length && result.every((s, i) => sameSheet(s, expected[i] as Sheet)) ? 1 : 0;
    return rules.every((rule) => checkRule(rule, result, expected)) ? 1 : 0;
  },
  /** Each `expect` record is some row of the CSV, no `unexpect` record is (fields compared as text). */
  check_csv: async (r, e) => {
    const sheets = await sheetsOf(r);
    if (!sheets?.[0]) return 0;
    const rows = records(sheets[0]);
    const rules = (e ?? {}) as { expect?: Record<string, unknown>[]; unexpect?: Record<string, unknown>[] };
    const match = (p: Record<string, unknown>) => rows.some((row) => Object.entries(p).every(([k, v]) => k in row && row[k] === String(v)));
    return (rules.expect ?? []).every(match) && !(rules.unexpect ?? []).some(match) ? 1 : 0;
  },
  /** The two files have the same lines (whitespace at the ends of lines ignored). */
  compare_csv: (r, e) => {
    const a = textOf(r);
    const b = textOf(e);
    if (a === null || b === null) return 0;
    const lines = (t: string) => t.replace(/\r\n/g, "\n").trim().split("\n").map((l) => l.trim());
    return JSON.stringify(lines(a)) === JSON.stringify(lines(b)) ? 1 : 0;
  },
};
