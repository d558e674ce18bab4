// The live list's placement rules against the truth: after any mix of finished rows (in any
// order), advantages and pages read mid-stream, every loaded position holds the row the runner
// would return there, and the total is the runner's.
import { describe, expect, it } from "vitest";
import type { TrajectorySummary } from "@agentrl/protocol";
import { catchUpPage, compareRows, insertRow, matchesFilters, mergePage, type LiveFilters, type RowChange, type RowWindow } from "./live-rows";

/** A seeded sequence in [0, 1) (a plain LCG: the webview project cannot import the runner's PRNG). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function row(taskIndex: number, sampleIndex: number, reward: number | null = 0.5): TrajectorySummary {
  return {
    id: `r:${taskIndex}:${sampleIndex}`,
    runId: "r",
    taskId: `task-${taskIndex}`,
    taskIndex,
    groupId: `r:${taskIndex}`,
    sampleIndex,
    status: "finished",
    stopReason: "final_answer",
    reward,
    components: {},
    advantage: null,
    turns: 1,
    toolCalls: 0,
    error: reward === null ? "policy: timeout" : null,
    rewardErrors: 0,
    durationMs: 1,
    finishedAt: 0,
  };
}

/** The runner's side: stored rows, sorted, with the seq of the last event. */
class Truth {
  rows: TrajectorySummary[] = [];
  seq = 0;
  add(r: TrajectorySummary): RowChange {
    this.rows.push(r);
    this.rows.sort(compareRows);
    return { seq: ++this.seq, kind: "finished", row: r };
  }
  page(offset: number, limit: number, f: LiveFilters) {
    const xs = this.rows.filter((r) => matchesFilters(r, f));
    return { offset, items: xs.slice(offset, offset + limit), total: xs.length, seq: this.seq };
  }
}

function expectExact(w: RowWindow, truth: Truth, f: LiveFilters): void {
  const xs = truth.rows.filter((r) => matchesFilters(r, f));
  expect(w.total).toBe(xs.length);
  for (const [i, r] of w.rows) expect(r.id, `position ${i}`).toBe(xs[i]?.id);
}

describe("live trajectory rows", () => {
  it("inserts between loaded neighbours, shifts past gaps, and appends at the end of a fully loaded list", () => {
    let w: RowWindow = { rows: new Map([[0, row(0, 0)], [1, row(0, 2)]]), total: 2 };
    w = insertRow(w, row(0, 1));
    expect([...w.rows.entries()].sort((a, b) => a[0] - b[0]).map(([i, r]) => [i, r.id])).toEqual([[0, "r:0:0"], [1, "r:0:1"], [2, "r:0:2"]]);
    w = insertRow(w, row(1, 0));
    expect(w.rows.get(3)?.id).toBe("r:1:0");
    // Positions 10..11 loaded, 0..9 not: a row sorting before them moves them down, unknown itself.
    let g: RowWindow = { rows: new Map([[10, row(5, 0)], [11, row(5, 1)]]), total: 20 };
    g = insertRow(g, row(2, 0));
    expect([...g.rows.keys()].sort((a, b) => a - b)).toEqual([11, 12]);
    expect(g.total).toBe(21);
    // Past the last loaded row of a list that goes on: only the total changes.
    g = insertRow(g, row(9, 0));
    expect([...g.rows.keys()].sort((a, b) => a - b)).toEqual([11, 12]);
    expect(g.total).toBe(22);
    // The same trajectory again (a retried episode) replaces its row in place.
    const again = insertRow(w, { ...row(0, 1), reward: 1 });
    expect(again.total).toBe(w.total);
    expect(again.rows.get(1)?.reward).toBe(1);
  });

  it("filters as the runner's SQL does (a null reward fails a reward bound) and cannot decide a text search", () => {
    expect(matchesFilters(row(0, 0, null), { minReward: 0 })).toBe(false);
    expect(matchesFilters(row(0, 0, 0.2), { minReward: 0.2, maxReward: 0.2 })).toBe(true);
    expect(matchesFilters(row(0, 0, null), { hasError: true })).toBe(true);
    expect(matchesFilters(row(3, 0), { taskId: "task-4" })).toBe(false);
    expect(matchesFilters(row(0, 0), { text: "x" })).toBeUndefined();
  });

  it("stays exact over 1,200 out-of-order rows with pages read while rows arrive", () => {
    for (const seed of [1, 2]) {
      for (const f of [{}, { minReward: 0.5 }] as LiveFilters[]) {
        const rnd = lcg(seed);
        const truth = new Truth();
        // 300 tasks × 4 samples finishing in a shuffled order within a sliding window (concurrency).
        const order = Array.from({ length: 1200 }, (_, i) => i);
        for (let i = 0; i < order.length; i++) {
          const j = Math.min(order.length - 1, i + Math.floor(rnd() * 40));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        let w: RowWindow = { rows: new Map(), total: 0 };
        const inFlight: { req: ReturnType<Truth["page"]>; changes: RowChange[] }[] = [];
        for (const k of order) {
          const c = truth.add(row(Math.floor(k / 4), k % 4, rnd() < 0.2 ? null : Math.round(rnd() * 10) / 10));
          if (c.kind === "finished" && matchesFilters(c.row, f)) w = insertRow(w, c.row);
          for (const p of inFlight) p.changes.push(c);
          // Now and then a page is requested (read now) and lands a few events later.
          if (rnd() < 0.04) inFlight.push({ req: truth.page(Math.floor(rnd() * (truth.rows.length + 50)), 50, f), changes: [] });
          if (inFlight.length && rnd() < 0.3) {
            const p = inFlight.shift()!;
            w = mergePage(w, catchUpPage(p.req, p.changes, f));
          }
        }
        for (const p of inFlight) w = mergePage(w, catchUpPage(p.req, p.changes, f));
        expect(w.rows.size).toBeGreaterThan(50);
        expectExact(w, truth, f);
      }
    }
  });
});
