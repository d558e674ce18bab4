import { useCallback, useEffect, useRef, useState } from "react";
import type { TrajectoryPageQuery, TrajectorySummary } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { catchUpPage, insertRow, applyAdvantages, matchesFilters, mergePage, type RowChange, type RowWindow } from "./live-rows";

export const PAGE_SIZE = 200;
/** With a text search (not decidable from a row), a live list re-reads its loaded pages at most this often. */
export const TEXT_FILTER_REFRESH_MS = 1000;

export type ListFilters = Omit<TrajectoryPageQuery, "offset" | "limit">;

/**
 * Rows of a run's trajectory list, fetched page by page as the visible range needs them (the total
 * comes with the first page, so the virtual list knows its height before anything else loads),
 * then kept current by the run's `trajectory.finished` and `group.advantages` events: a finished
 * row is placed among the loaded rows without asking for any page (see live-rows.ts).
 */
export function useTrajectoryPages(runId: string | null, filters: ListFilters, reloadKey: number) {
  const bridge = useBridge();
  const [error, setError] = useState<string | null>(null);
  const win = useRef<RowWindow>({ rows: new Map(), total: 0 });
  const [known, setKnown] = useState(false);
  const loading = useRef(new Set<number>());
  /** Changes applied while a page request was in flight, replayed onto that page when it lands. */
  const changes = useRef<RowChange[]>([]);
  const [version, setVersion] = useState(0);
  const gen = useRef(0);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const filterKey = JSON.stringify(filters);

  const loadPage = useCallback(
    (page: number) => {
      if (!runId || loading.current.has(page)) return;
      loading.current.add(page);
      const myGen = gen.current;
      const offset = page * PAGE_SIZE;
      bridge
        .request("trajectoryPage", { runId, query: { ...filters, offset, limit: PAGE_SIZE } })
        .then((res) => {
          if (myGen !== gen.current) return;
          const caughtUp = catchUpPage({ offset, items: res.items, total: res.total, seq: res.seq }, changes.current, filters);
          win.current = mergePage(win.current, caughtUp);
          setKnown(true);
          setError(null);
          setVersion((v) => v + 1);
        })
        .catch((err: Error) => {
          if (myGen === gen.current) setError(err.message);
        })
        .finally(() => {
          if (myGen !== gen.current) return;
          loading.current.delete(page);
          if (loading.current.size === 0) changes.current = [];
        });
    },
    [bridge, runId, filterKey],
  );

  const reset = useCallback(() => {
    gen.current++;
    win.current = { rows: new Map(), total: 0 };
    loading.current = new Set();
    changes.current = [];
    setKnown(false);
    setVersion((v) => v + 1);
    loadPage(0);
  }, [loadPage]);

  useEffect(reset, [reset, reloadKey]);

  useEffect(
    () =>
      bridge.onPush((m) => {
        if (m.kind !== "runEvent" || m.event.runId !== runId) return;
        const e = m.event;
        let change: RowChange;
        if (e.type === "trajectory.finished") {
          const fits = matchesFilters(e.data, filters);
          if (fits === undefined) {
            // A text search: re-read what is loaded, at most once a second, never per event.
            refreshTimer.current ??= setTimeout(() => {
              refreshTimer.current = null;
              const pages = new Set([...win.current.rows.keys()].map((i) => Math.floor(i / PAGE_SIZE)));
              if (pages.size === 0) pages.add(0);
              for (const p of pages) loadPage(p);
            }, TEXT_FILTER_REFRESH_MS);
            return;
          }
          if (!fits) return;
          change = { seq: e.seq, kind: "finished", row: e.data };
          win.current = insertRow(win.current, e.data);
        } else if (e.type === "group.advantages") {
          change = { seq: e.seq, kind: "advantages", items: e.data.items };
          win.current = applyAdvantages(win.current, e.data.items);
        } else return;
        if (loading.current.size) changes.current.push(change);
        setVersion((v) => v + 1);
      }),
    [bridge, runId, filterKey, loadPage],
  );

  useEffect(
    () => () => {
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
    },
    [],
  );

  /** Asks for the pages holding positions in [start, end] that are not loaded. */
  const ensure = useCallback(
    (start: number, end: number) => {
      const want = new Set<number>();
      for (let i = start; i <= Math.min(end, win.current.total - 1); i++) if (!win.current.rows.has(i)) want.add(Math.floor(i / PAGE_SIZE));
      for (const p of want) loadPage(p);
    },
    [loadPage],
  );

  const total = known ? win.current.total : null;
  return { total, error, row: (i: number): TrajectorySummary | undefined => win.current.rows.get(i), ensure, version };
}
