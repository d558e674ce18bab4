import type { TrajectoryPageQuery, TrajectorySummary } from "@agentrl/protocol";

/**
 * The loaded part of a run's trajectory list, kept current from the event stream without asking
 * for pages again. Rows are ordered by (taskIndex, sampleIndex), as the runner orders them; only
 * some positions are loaded (the pages the user scrolled to), so a row that finishes is placed
 * by comparing it with its loaded neighbours:
 *   - between two adjacent loaded rows, or at an end of a fully loaded run: it is inserted there;
 *   - inside a stretch that is not loaded: it is not known, but every loaded row after it moves
 *     down one, which keeps the positions of the loaded rows exact.
 * Pure functions over plain data, so the rules are tested without a browser.
 */
export interface RowWindow {
  /** Loaded rows by position. */
  rows: Map<number, TrajectorySummary>;
  total: number;
}

export type LiveFilters = Omit<TrajectoryPageQuery, "offset" | "limit">;

export function compareRows(a: Pick<TrajectorySummary, "taskIndex" | "sampleIndex">, b: Pick<TrajectorySummary, "taskIndex" | "sampleIndex">): number {
  return a.taskIndex - b.taskIndex || a.sampleIndex - b.sampleIndex;
}

/**
 * Whether `row` is in the list the runner would give for `filters` (the runner's SQL, written
 * against the summary); `undefined` when that cannot be told from a summary (a text search reads
 * the whole trajectory), so the caller refreshes instead.
 */
export function matchesFilters(row: TrajectorySummary, f: LiveFilters): boolean | undefined {
  if (f.text) return undefined;
  if (f.taskId !== undefined && row.taskId !== f.taskId) return false;
  if (f.groupId !== undefined && row.groupId !== f.groupId) return false;
  // SQL: NULL >= x and NULL <= x are false.
  if (f.minReward !== undefined && (row.reward === null || row.reward < f.minReward)) return false;
  if (f.maxReward !== undefined && (row.reward === null || row.reward > f.maxReward)) return false;
  if (f.hasError !== undefined && (row.error !== null) !== f.hasError) return false;
  return true;
}

function sortedPositions(rows: Map<number, TrajectorySummary>): number[] {
  return [...rows.keys()].sort((a, b) => a - b);
}

/** Places a finished row (see the module comment). Replaces a loaded row with the same id in place. */
export function insertRow(w: RowWindow, row: TrajectorySummary): RowWindow {
  for (const [i, r] of w.rows) {
    if (r.id === row.id) {
      const rows = new Map(w.rows);
      rows.set(i, row);
      return { rows, total: w.total };
    }
  }
  const positions = sortedPositions(w.rows);
  // The first loaded position whose row sorts after the new one.
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareRows(w.rows.get(positions[mid]!)!, row) > 0) hi = mid;
    else lo = mid + 1;
  }
  const after = positions[lo];
  const before = lo > 0 ? positions[lo - 1]! : -1;
  let at: number | null;
  if (after === undefined) at = before === w.total - 1 ? w.total : null;
  else at = after === before + 1 ? after : null;
  const shiftFrom = after ?? Infinity;
  const rows = new Map<number, TrajectorySummary>();
  for (const [i, r] of w.rows) rows.set(i >= shiftFrom ? i + 1 : i, r);
  if (at !== null) rows.set(at, row);
  return { rows, total: w.total + 1 };
}

/** Sets the advantages of a group's rows (they arrive once the whole group is stored). */
export function applyAdvantages(w: RowWindow, items: { trajectoryId: string; advantage: number | null }[]): RowWindow {
  const byId = new Map(items.map((i) => [i.trajectoryId, i.advantage]));
  let rows: Map<number, TrajectorySummary> | null = null;
  for (const [i, r] of w.rows) {
    const a = byId.get(r.id);
    if (a === undefined || a === r.advantage) continue;
    rows ??= new Map(w.rows);
    rows.set(i, { ...r, advantage: a });
  }
  return rows ? { rows, total: w.total } : w;
}

/** A change to the list, as the event stream reports it. */
export type RowChange = { seq: number; kind: "finished"; row: TrajectorySummary } | { seq: number; kind: "advantages"; items: { trajectoryId: string; advantage: number | null }[] };

/**
 * A page as the runner read it at event `seq`, brought up to date with the changes after that
 * seq which the viewer has already applied to its window, so that merging it keeps positions exact.
 */
export function catchUpPage(page: { offset: number; items: TrajectorySummary[]; total: number; seq: number }, changes: RowChange[], filters: LiveFilters): RowWindow {
  let w: RowWindow = { rows: new Map(page.items.map((r, i) => [page.offset + i, r])), total: page.total };
  for (const c of changes) {
    if (c.seq <= page.seq) continue;
    if (c.kind === "advantages") w = applyAdvantages(w, c.items);
    else if (matchesFilters(c.row, filters) !== false) w = insertRow(w, c.row);
  }
  return w;
}

/** Merges a caught-up page into the window: its rows replace whatever those positions held. */
export function mergePage(w: RowWindow, page: RowWindow): RowWindow {
  const rows = new Map(w.rows);
  const ids = new Set([...page.rows.values()].map((r) => r.id));
  // A row seen before at another position (it moved while the page was in flight) is dropped there.
  for (const [i, r] of rows) if (ids.has(r.id) && page.rows.get(i)?.id !== r.id) rows.delete(i);
  for (const [i, r] of page.rows) rows.set(i, r);
  return { rows, total: page.total };
}
