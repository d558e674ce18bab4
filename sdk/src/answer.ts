/** The text inside the last `<tag>…</tag>` of `text`, trimmed; null when there is none. */
export function extractTagged(text: string, tag = "answer"): string | null {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  let last: string | null = null;
  for (const m of text.matchAll(re)) last = (m[1] ?? "").trim();
  return last;
}

/** Compares two answers as numbers when both parse as numbers (1e-6 relative tolerance), else as trimmed strings. */
export function answersEqual(got: string, expected: unknown, opts: { caseSensitive?: boolean } = {}): boolean {
  const g = got.trim().replace(/,/g, "");
  const e = String(expected).trim();
  const gn = Number(g);
  const en = Number(e);
  if (g !== "" && e !== "" && Number.isFinite(gn) && Number.isFinite(en)) {
    return Math.abs(gn - en) <= 1e-6 * Math.max(1, Math.abs(en));
  }
  return opts.caseSensitive ? g === e : g.toLowerCase() === e.toLowerCase();
}
