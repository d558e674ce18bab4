import { BROWSER_METRICS } from "./browser-metrics.js";
import { textOf } from "./files.js";
import { TABLE_METRICS } from "./table-metrics.js";

/**
 * OSWorld metrics (desktop_env/evaluators/metrics), same names and semantics, on the values the
 * getters return. Each returns a score in [0, 1]; table metrics parse files, so a metric may be async.
 */
export type Metric = (result: unknown, expected: unknown, options: Record<string, unknown>) => number | Promise<number>;

function rulesOf(expected: unknown): Record<string, unknown> {
  return expected && typeof expected === "object" ? (expected as Record<string, unknown>) : {};
}

/** Indel-distance similarity (what rapidfuzz's fuzz.ratio computes), 0..1. */
export function similarity(a: string, b: string): number {
  if (!a && !b) return 1;
  // Longest common subsequence, two rows.
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, cur[j - 1] as number);
    prev = cur;
  }
  return (2 * (prev[b.length] as number)) / (a.length + b.length);
}

function getPath(obj: unknown, path: unknown): unknown {
  const keys = Array.isArray(path) ? path : [path];
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[String(k)];
  }
  return cur;
}

function matchRule(value: unknown, rule: { method?: string; ref?: unknown }): boolean {
  const method = rule.method ?? "eq";
  switch (method) {
    case "eq":
      return JSON.stringify(value) === JSON.stringify(rule.ref);
    case "ne":
      return JSON.stringify(value) !== JSON.stringify(rule.ref);
    case "re":
      return typeof value === "string" && new RegExp(String(rule.ref)).test(value);
    case "str_list_eq":
      return Array.isArray(value) && JSON.stringify(value.map(String)) === JSON.stringify((rule.ref as unknown[]).map(String));
    default:
      throw new Error(`check_json: unknown method "${method}" (use eq, ne, re, str_list_eq)`);
  }
}

/**
 * Every metric by its OSWorld name. To add one: a function with OSWorld's name and semantics here
 * (or in a module of its family, spread in below); tasks naming it then load.
 */
export const METRICS: Record<string, Metric> = {
  exact_match: (result, expected) => (textOf(result) ?? result) === rulesOf(expected).expected ? 1 : 0,
  fuzzy_match: (result, expected) => {
    const text = textOf(result);
    return text === null ? 0 : similarity(text, String(rulesOf(expected).expected ?? ""));
  },
  check_include_exclude: (value, expected) => {
    const result = textOf(value);
    if (result === null) return 0;
    const r = rulesOf(expected);
    const include = (r.include as string[] | undefined) ?? [];
    const exclude = (r.exclude as string[] | undefined) ?? [];
    return include.every((s) => result.includes(s)) && exclude.every((s) => !result.includes(s)) ? 1 : 0;
  },
  is_in_list: (result, expected) => ((rulesOf(expected).expected as unknown[] | undefined)?.includes(textOf(result) ?? result) ? 1 : 0),
  /** The result is a JSON document; rules `{expect: [{key, method, ref}], unexpect: [...]}`. */
  check_json: (value, expected) => {
    const result = textOf(value);
    if (result === null) return 0;
    let doc: unknown;
    try {
      doc = JSON.parse(result);
    } catch {
      return 0;
    }
    const r = rulesOf(expected);
    const expect = (r.expect as { key: unknown; method?: string; ref?: unknown }[] | undefined) ?? [];
    const unexpect = (r.unexpect as { key: unknown; method?: string; ref?: unknown }[] | undefined) ?? [];
    return expect.every((rule) => matchRule(getPath(doc, rule.key), rule)) && unexpect.every((rule) => !matchRule(getPath(doc, rule.key), rule)) ? 1 : 0;
  },
  /** Two texts equal, ignoring a trailing newline (OSWorld compares file contents). */
  compare_text_file: (r, e) => {
    const result = textOf(r);
    const expected = textOf(e);
    if (result === null || expected === null) return 0;
    return result.replace(/\n$/, "") === expected.replace(/\n$/, "") ? 1 : 0;
  },
  ...TABLE_METRICS,
  ...BROWSER_METRICS,
};
