import { useCallback, useEffect, useRef, useState } from "react";
import type { InspectorInit, Run, RunEvent, ScoreComparison, Trajectory, TrajectorySummary } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { fmtNum } from "../util/format";
import { ArtifactsView } from "./ArtifactsView";
import { CompareView } from "./CompareView";
import { Filters } from "./Filters";
import { GroupView } from "./GroupView";
import { LiveEpisodesView } from "./LiveEpisodesView";
import { MetricsCharts } from "./MetricsCharts";
import { RewardBreakdown } from "./RewardBreakdown";
import { ScoreComparisonView } from "./ScoreComparisonView";
import { TrainSteps } from "./TrainSteps";
import { TrajectoryList } from "./TrajectoryList";
import { TurnStepper } from "./TurnStepper";
import type { ListFilters } from "./use-trajectory-pages";

type Tab = "trajectory" | "group" | "metrics" | "live" | "compare" | "scores";

const TAB_LABEL: Record<Tab, string> = { trajectory: "Turns", group: "Group", metrics: "Metrics", live: "Live episodes", compare: "Compare", scores: "Score changes" };

interface StalledSet {
  runId: string | null;
  ids: ReadonlySet<string>;
}

/** The stalled episodes after one event: flagged by `episode.stalled`, cleared by progress or the end. */
function stalledAfter(s: StalledSet, e: RunEvent): StalledSet {
  const cur = s.runId === e.runId ? s : { runId: e.runId, ids: new Set<string>() };
  if (e.type === "episode.stalled") return { runId: e.runId, ids: new Set(cur.ids).add(e.data.trajectoryId) };
  const id = e.type === "trajectory.phase" || e.type === "trajectory.started" ? e.data.trajectoryId : e.type === "trajectory.finished" ? e.data.id : null;
  if (id === null || !cur.ids.has(id)) return cur === s ? s : cur;
  return { runId: e.runId, ids: new Set([...cur.ids].filter((x) => x !== id)) };
}

/** While a run is live, its header (totals computed by the runner) is re-read at most this often. */
export const RUN_REFRESH_MS = 2000;

/** The inspector: run header, trajectory list with filters, and the selected trajectory's turn / group / metrics views. */
export function App({ initial }: { initial?: InspectorInit }) {
  const bridge = useBridge();
  const [init, setInit] = useState<InspectorInit | null>(initial ?? null);
  const [runId, setRunId] = useState<string | null>(initial?.runId ?? null);
  const [run, setRun] = useState<Run | null>(null);
  const [runs, setRuns] = useState<Run[]>([]);
  const [filters, setFilters] = useState<ListFilters>({});
  const [selected, setSelected] = useState<TrajectorySummary | null>(null);
  const [trajectory, setTrajectory] = useState<Trajectory | null>(null);
  const [tab, setTab] = useState<Tab>("trajectory");
  const [reloadKey, setReloadKey] = useState(0);
  const [live, setLive] = useState(false);
  const [comparison, setComparison] = useState<ScoreComparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [runStale, setRunStale] = useState(0);
  /** Episodes flagged stalled and not moved on since (of the run the events are about). */
  const [stalled, setStalled] = useState<StalledSet>({ runId: null, ids: new Set() });
  const stalledCount = stalled.runId === runId ? stalled.ids.size : 0;
  // Runs started elsewhere (another view, the CLI) appear when the user reaches for the list.
  const [runsStale, setRunsStale] = useState(0);
  const refreshRuns = useCallback(() => setRunsStale((k) => k + 1), []);
  const runRefresh = useRef<ReturnType<typeof setTimeout> | null>(null);
  const wantTrajectory = useRef<string | null>(initial?.trajectoryId ?? null);
  /** The trajectory on screen, for events that change a stored trajectory (read in the push handler). */
  const shown = useRef<string | null>(null);
  shown.current = trajectory?.id ?? null;

  useEffect(
    () =>
      bridge.onPush((m) => {
        if (m.kind === "init") {
          setInit(m.init);
          setRunId(m.init.runId);
          wantTrajectory.current = m.init.trajectoryId;
          setLive(m.init.follow);
        } else if (m.kind === "select") {
          setRunId(m.runId);
          wantTrajectory.current = m.trajectoryId;
        } else if (m.kind === "scoreComparison") {
          setRunId(m.comparison.runId);
          setComparison(m.comparison);
          setTab("scores");
          setReloadKey((k) => k + 1);
        } else if (m.kind === "runEvent") {
          // Live run: events carry what changed; the list and the charts apply them themselves.
          const e = m.event;
          if (e.type === "run.status") {
            setLive(e.data.status === "running" || e.data.status === "queued");
            setRunStale((k) => k + 1);
          } else if (e.type === "trajectory.finished") {
            setSelected((cur) => cur ?? e.data);
            // The header's totals are the runner's to compute: re-read at most every RUN_REFRESH_MS, never per event.
            runRefresh.current ??= setTimeout(() => {
              runRefresh.current = null;
              setRunStale((k) => k + 1);
            }, RUN_REFRESH_MS);
          }
          setStalled((s) => stalledAfter(s, e));
          if (e.type === "group.advantages") {
            const byId = new Map(e.data.items.map((i) => [i.trajectoryId, i.advantage]));
            setTrajectory((t) => {
              const a = t ? byId.get(t.id) : undefined;
              return t && a !== undefined ? { ...t, advantage: a } : t;
            });
          }
          // The trainer's per-token logprobs came for the trajectory on screen: its token lens re-reads it (one request, only then).
          const id = shown.current;
          if (e.type === "trajectory.logprobs" && id && e.data.trajectoryIds.includes(id)) {
            bridge.request("trajectory", { id }).then(
              (t) => setTrajectory((cur) => (cur?.id === t.id ? t : cur)),
              (err: Error) => setError(err.message),
            );
          }
        }
      }),
    [bridge],
  );

  useEffect(
    () => () => {
      if (runRefresh.current) clearTimeout(runRefresh.current);
    },
    [],
  );

  useEffect(() => {
    bridge.ready();
  }, [bridge]);

  useEffect(() => {
    bridge
      .request("listRuns", {})
      .then((r) => setRuns([...r.items].sort((a, b) => b.createdAt - a.createdAt)))
      .catch((e: Error) => setError(e.message));
  }, [bridge, reloadKey, runId, runStale, runsStale]);

  useEffect(() => {
    if (!runId) return;
    bridge
      .request("run", { runId })
      .then(setRun)
      .catch((e: Error) => setError(e.message));
  }, [bridge, runId, reloadKey, runStale]);

  // A training run's own view is its curves: open it on the metrics.
  const isTrain = run?.id === runId && run?.config.kind === "train";
  useEffect(() => {
    if (isTrain) setTab("metrics");
  }, [isTrain, runId]);

  // Select the first row of a freshly opened run (or the trajectory the host asked for).
  useEffect(() => {
    if (!runId) return;
    const want = wantTrajectory.current;
    if (want) {
      wantTrajectory.current = null;
      bridge.request("trajectory", { id: want }).then(setTrajectory, (e: Error) => setError(e.message));
      return;
    }
    if (selected && selected.runId === runId) return;
    bridge
      .request("trajectoryPage", { runId, query: { limit: 1 } })
      .then((p) => {
        const first = p.items[0];
        if (first) setSelected(first);
      })
      .catch((e: Error) => setError(e.message));
  }, [bridge, runId, reloadKey, selected]);

  // A finished trajectory does not change, except its advantage (a `group.advantages` event patches it).
  useEffect(() => {
    if (!selected) return;
    let live = true;
    bridge.request("trajectory", { id: selected.id }).then(
      (t) => live && setTrajectory(t),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [bridge, selected, reloadKey]);

  const onFilters = useCallback((f: ListFilters) => setFilters(f), []);
  const openById = useCallback(
    (id: string) => {
      bridge.request("trajectory", { id }).then(
        (t) => {
          setTrajectory(t);
          setTab("trajectory");
        },
        (e: Error) => setError(e.message),
      );
    },
    [bridge],
  );

  if (!runId) {
    return <div className="empty">{init ? "No run selected. Run “AgentRL: Run One Episode” or pick a run in the Runs view." : "Connecting to the extension…"}</div>;
  }
  const s = run?.summary;
  return (
    <div className="app">
      <header className="run-header">
        <select className="run-picker" value={runId} onFocus={refreshRuns} onChange={(e) => (setRunId(e.target.value), setSelected(null), setTrajectory(null), setComparison(null))} aria-label="run">
          {!runs.some((r) => r.id === runId) && <option value={runId}>{runId}</option>}
          {runs.map((r) => (
            <option key={r.id} value={r.id}>
              {r.config.name || r.envName} · {r.id.slice(0, 8)}
            </option>
          ))}
        </select>
        {run && <vscode-badge class={`run-status status-${run.status}`} data-testid="run-status">{run.status}</vscode-badge>}
        {live && <span className="live-dot" data-testid="live">● live</span>}
        {stalledCount > 0 && (
          <span className="flag stalled-badge" data-testid="stalled-badge" onClick={() => setTab("live")} title="Episodes with no progress past the run's stall threshold: open Live episodes to kill or requeue them">
            ⚠ {stalledCount} stalled
          </span>
        )}
        {s && (
          <span className="run-stats muted">
            {s.trajectories} traj · mean reward {fmtNum(s.meanReward)} · {s.zeroVarianceGroups}/{s.groups} zero-variance groups · {s.errors} errors · {s.episodesPerS.toFixed(2)} ep/s
          </span>
        )}
        <span className="spacer" />
        <span className="muted">{init?.runnerName}</span>
      </header>
      {error && (
        <div className="error-banner" onClick={() => setError(null)}>
          {error}
        </div>
      )}
      <div className="split">
        <aside className="left">
          {isTrain && run ? (
            <TrainSteps run={run} runs={runs} onOpen={(id) => (setRunId(id), setSelected(null), setTrajectory(null), setComparison(null), setTab("trajectory"))} />
          ) : (
            <>
              <Filters onChange={onFilters} />
              <TrajectoryList runId={runId} filters={filters} reloadKey={reloadKey} selectedId={trajectory?.id ?? selected?.id ?? null} onSelect={(t) => (setSelected(t), setTab((x) => (x === "scores" || x === "metrics" ? "trajectory" : x)))} />
            </>
          )}
        </aside>
        <main className="right">
          <nav className="tabs" role="tablist">
            {((isTrain ? ["metrics"] : ["trajectory", "group", "metrics", "live", "compare", ...(comparison ? ["scores"] : [])]) as Tab[]).map((t) => (
              <button key={t} role="tab" aria-selected={tab === t} className={`tab ${tab === t ? "active" : ""}`} onClick={() => (setTab(t), t === "compare" && refreshRuns())} data-testid={`tab-${t}`}>
                {TAB_LABEL[t]}
              </button>
            ))}
          </nav>
          <div className="tab-body">
            {tab === "trajectory" &&
              (trajectory ? (
                <div className="detail">
                  <div className="detail-head">
                    <span className="mono">{trajectory.taskId}</span> · sample {trajectory.sampleIndex} · <span className="muted">{trajectory.id.slice(0, 12)}</span>
                  </div>
                  <RewardBreakdown trajectory={trajectory} />
                  <TurnStepper trajectory={trajectory} />
                  {trajectory.artifacts && <ArtifactsView artifacts={trajectory.artifacts} lastAction={trajectory.turns.at(-1)?.assistant.toolCalls?.at(-1)} />}
                </div>
              ) : (
                <div className="muted">Select a trajectory.</div>
              ))}
            {tab === "group" && (trajectory ? <GroupView runId={runId} groupId={trajectory.groupId} onOpen={(t) => (setSelected(t), setTab("trajectory"))} /> : <div className="muted">Select a trajectory to see its group.</div>)}
            {tab === "metrics" && <MetricsCharts runId={runId} reloadKey={reloadKey} summary={run?.summary} />}
            {tab === "compare" && <CompareView runId={runId} runs={runs} />}
            {tab === "live" && <LiveEpisodesView runId={runId} />}
            {tab === "scores" && comparison && <ScoreComparisonView c={comparison} onOpen={openById} />}
          </div>
        </main>
      </div>
    </div>
  );
}
