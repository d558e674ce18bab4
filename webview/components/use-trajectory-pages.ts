import { useCallback, useEffect, useRef, useState } from "react";
import type { TrajectoryPageQuery, TrajectorySummary } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";

export const PAGE_SIZE = 200;

export type ListFilters = Omit<TrajectoryPageQuery, "offset" | "limit">;

/**
 * Rows of a run's trajectory list, fetched page by page as the visible range needs them: the
 * total comes with the first page, so the virtual list knows its height before anything else loads.
 */
export function useTrajectoryPages(runId: string | null, filters: ListFilters, reloadKey: number) {
  const bridge = useBridge();
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rows = useRef(new Map<number, TrajectorySummary>());
  const loading = useRef(new Set<number>());
  const [version, setVersion] = useState(0);
  const gen = useRef(0);
  const filterKey = JSON.stringify(filters);

  const loadPage = useCallback(
    (page: number) => {
      if (!runId || loading.current.has(page)) return;
      loading.current.add(page);
      const myGen = gen.current;
      bridge
        .request("trajectoryPage", { runId, query: { ...filters, offset: page * PAGE_SIZE, limit: PAGE_SIZE } })
        .then((res) => {
          if (myGen !== gen.current) return;
          res.items.forEach((t, i) => rows.current.set(page * PAGE_SIZE + i, t));
          setTotal(res.total);
          setError(null);
          setVersion((v) => v + 1);
        })
        .catch((err: Error) => {
          if (myGen === gen.current) setError(err.message);
        })
        .finally(() => {
          if (myGen === gen.current) loading.current.delete(page);
        });
    },
    [bridge, runId, filterKey],
  );

  useEffect(() => {
    gen.current++;
    rows.current = new Map();
    loading.current = new Set();
    setTotal(null);
    setVersion((v) => v + 1);
    loadPage(0);
  }, [loadPage, reloadKey]);

  /** Asks for the pages covering rows [start, end]. */
  const ensure = useCallback(
    (start: number, end: number) => {
      for (let p = Math.floor(start / PAGE_SIZE); p <= Math.floor(end / PAGE_SIZE); p++) {
        if (!rows.current.has(p * PAGE_SIZE)) loadPage(p);
      }
    },
    [loadPage],
  );

  return { total, error, row: (i: number) => rows.current.get(i), ensure, version };
}
