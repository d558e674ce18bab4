import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { TrajectorySummary } from "@agentrl/protocol";
import { fmtNum, fmtSigned } from "../util/format";
import { useTrajectoryPages, type ListFilters } from "./use-trajectory-pages";

const ROW_HEIGHT = 26;

interface Props {
  runId: string;
  filters: ListFilters;
  reloadKey: number;
  selectedId: string | null;
  onSelect: (t: TrajectorySummary) => void;
}

const STOP_LABEL: Record<string, string> = { final_answer: "answered", tool_stop: "tool stop", max_turns: "max turns", episode_timeout: "timeout", policy_error: "policy err", env_error: "env err", infra_error: "infra err", cancelled: "cancelled" };

function statusClass(t: TrajectorySummary): string {
  if (t.error || t.status !== "finished") return "bad";
  if (t.rewardErrors > 0) return "warn";
  return "ok";
}

/** The run's trajectories as a virtualized table: only the visible rows exist in the DOM, pages load on scroll. */
export function TrajectoryList({ runId, filters, reloadKey, selectedId, onSelect }: Props) {
  const { total, error, row, ensure } = useTrajectoryPages(runId, filters, reloadKey);
  const parent = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    // jsdom/happy-dom and the first paint have no layout yet: start with a viewport's worth of rows.
    initialRect: { width: 600, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (total) ensure(first, last);
  }, [first, last, total, ensure]);

  return (
    <div className="traj-list">
      <div className="traj-list-header row-grid" role="row">
        <span>task</span>
        <span>#</span>
        <span className="num">reward</span>
        <span className="num">adv</span>
        <span className="num">turns</span>
        <span className="num">tools</span>
        <span>status</span>
      </div>
      {error && <div className="error-banner">{error}</div>}
      {total === 0 && <div className="empty">No trajectories match these filters.</div>}
      <div ref={parent} className="traj-list-scroll" data-testid="traj-list" data-total={total ?? ""}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((v) => {
            const t = row(v.index);
            return (
              <div
                key={v.key}
                role="row"
                data-index={v.index}
                className={`traj-row row-grid ${t && t.id === selectedId ? "selected" : ""}`}
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
                onClick={() => t && onSelect(t)}
              >
                {t ? (
                  <>
                    <span className="mono ellipsis" title={t.taskId}>{t.taskId}</span>
                    <span className="muted">{t.sampleIndex}</span>
                    <span className="num">{fmtNum(t.reward)}</span>
                    <span className={`num ${t.advantage !== null && t.advantage > 0 ? "pos" : t.advantage !== null && t.advantage < 0 ? "neg" : ""}`}>{fmtSigned(t.advantage, 2)}</span>
                    <span className="num">{t.turns}</span>
                    <span className="num">{t.toolCalls}</span>
                    <span className={`status ${statusClass(t)}`} title={t.error ?? t.stopReason}>{t.error ? "error" : (STOP_LABEL[t.stopReason] ?? t.stopReason)}</span>
                  </>
                ) : (
                  <span className="muted">loading…</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
      <div className="traj-list-footer muted">{total === null ? "loading…" : `${total.toLocaleString()} trajectories`}</div>
    </div>
  );
}
