import { useEffect, useState } from "react";
import type { LiveEpisodes, PolicyHealth } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { applyLiveEvent, fromSnapshot, type LiveState } from "./live-state";

/** The policy's health is the runner's view (last answer, errors, waits): re-read this often while the panel is open. */
const HEALTH_REFRESH_MS = 5000;

function healthText(p: PolicyHealth): string {
  const ago = p.lastAnswerAgoMs === null ? "no answer yet" : `last answer ${(p.lastAnswerAgoMs / 1000).toFixed(1)} s ago`;
  const waiting = p.waiting ? ` · ${p.waiting} waiting, longest ${(p.longestWaitMs / 1000).toFixed(0)} s` : "";
  const err = p.lastError ? ` · last error: ${p.lastError}` : "";
  return `${p.state} · ${ago}${waiting}${err}`;
}

/**
 * Live episodes: every in-flight episode of the run (task, sample, turn, what it waits on, seconds
 * since it last made progress), kept current by the run's events; stalled ones flagged, with kill
 * and requeue actions through the runner; the policy server's health beside them.
 */
export function LiveEpisodesView({ runId }: { runId: string }) {
  const bridge = useBridge();
  const [rows, setRows] = useState<LiveState>(new Map());
  const [snap, setSnap] = useState<LiveEpisodes | null>(null);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const load = (first: boolean): void => {
      bridge.request("liveEpisodes", { runId }).then(
        (s) => {
          if (!live) return;
          setSnap(s);
          if (first) setRows(fromSnapshot(s, Date.now()));
        },
        (e: Error) => live && setError(e.message),
      );
    };
    load(true);
    const health = setInterval(() => load(false), HEALTH_REFRESH_MS);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const off = bridge.onPush((m) => {
      if (m.kind === "runEvent" && m.event.runId === runId) {
        const e = m.event;
        setRows((s) => applyLiveEvent(s, e, Date.now()));
      }
    });
    return () => {
      live = false;
      clearInterval(health);
      clearInterval(tick);
      off();
    };
  }, [bridge, runId]);

  const act = (trajectoryId: string, requeue: boolean): void => {
    setBusy(trajectoryId);
    bridge.request("killEpisode", { runId, trajectoryId, requeue }).then(
      (s) => (setSnap(s), setBusy(null)),
      (e: Error) => (setError(e.message), setBusy(null)),
    );
  };

  const list = [...rows.values()].sort((a, b) => Number(b.stalled) - Number(a.stalled) || a.progressAt - b.progressAt);
  const stalled = list.filter((r) => r.stalled).length;
  return (
    <div className="live-episodes" data-testid="live-episodes">
      <div className="live-head">
        <span data-testid="live-count">
          {list.length} in flight{stalled ? <b className="neg"> · {stalled} stalled</b> : null}
          {snap && snap.stallAfterMs > 0 && <span className="muted"> (stalled after {Math.round(snap.stallAfterMs / 1000)} s without progress)</span>}
        </span>
        {snap && (
          <span className={`policy-health health-${snap.policy.state}`} data-testid="policy-health">
            policy: {healthText(snap.policy)}
          </span>
        )}
      </div>
      {error && (
        <div className="error-banner" onClick={() => setError(null)}>
          {error}
        </div>
      )}
      {list.length === 0 ? (
        <div className="empty">No episode in flight.</div>
      ) : (
        <table className="cmp-table live-table">
          <thead>
            <tr>
              <th>task</th>
              <th className="num">sample</th>
              <th className="num">turn</th>
              <th>waits on</th>
              <th className="num">since progress</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.trajectoryId} className={r.stalled ? "stalled" : ""} data-testid="live-row" data-stalled={r.stalled ? "yes" : "no"}>
                <td className="mono">
                  {r.taskId}
                  {r.attempt > 0 && <span className="muted"> (attempt {r.attempt + 1})</span>}
                </td>
                <td className="num">{r.sampleIndex}</td>
                <td className="num">{r.turn + 1}</td>
                <td>
                  {r.phase}
                  {r.detail ? <span className="mono"> {r.detail}</span> : null}
                </td>
                <td className="num">{Math.max(0, Math.floor((now - r.progressAt) / 1000))} s</td>
                <td>
                  {r.stalled && <span className="flag">stalled</span>}{" "}
                  <button className="link-button" disabled={busy === r.trajectoryId} onClick={() => act(r.trajectoryId, false)} data-testid="kill-episode" title="End this episode now, recorded as an infrastructure failure">
                    kill
                  </button>{" "}
                  <button className="link-button" disabled={busy === r.trajectoryId} onClick={() => act(r.trajectoryId, true)} data-testid="requeue-episode" title="Stop this episode and run it again from the start">
                    requeue
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
