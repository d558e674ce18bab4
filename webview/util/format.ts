/** Number formatting shared by the inspector's tables and charts. */
export function fmtNum(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "—";
  return x.toFixed(digits);
}

export function fmtSigned(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return "—";
  const s = x.toFixed(digits);
  // A tiny negative (a sampler/trainer difference of -3e-7) rounds to zero: "+0.0000", not "-0.0000".
  if (Number(s) === 0) return `+${(0).toFixed(digits)}`;
  return `${x >= 0 ? "+" : ""}${s}`;
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Population standard deviation (what group-normalized advantages use). */
export function std(xs: number[]): number {
  if (xs.length === 0) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}
