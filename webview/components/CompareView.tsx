import { useEffect, useMemo, useState } from "react";
import type { Run, RunComparison, TaskComparison, Trajectory } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { fmtNum, fmtSigned } from "../util/format";
import { diffTurns, type TurnText } from "./turn-diff";

function runLabel(r: Run): string {
  return `${r.config.name || r.envName} · ${r.id.slice(0, 8)}`;
}

function Side({ t, testid }: { t: TurnText | null; testid: string }) {
  if (!t) return <div className="cmp-side muted" data-testid={testid}>(no such turn)</div>;
  return (
    <div className="cmp-side" data-testid={testid}>
      {t.said && <div className="msg role-assistant">{t.said}</div>}
      {t.calls.map((c, i) => (
        <div key={`c${i}`} className="mono cmp-call">
          → {c}
        </div>
      ))}
      {t.results.map((r, i) => (
        <div key={`r${i}`} className="mono cmp-result">
          ← {r}
        </div>
      ))}
    </div>
  );
}

/** Two trajectories side by side, turn by turn, with what differs in each turn marked. */
export function TurnDiffList({ a, b }: { a: Trajectory; b: Trajectory }) {
  return (
    <>
      {diffTurns(a, b).map((p) => (
        <div key={p.index} className={`cmp-turn ${p.differs.length ? "differs" : "same"}`} data-testid="compare-turn">
          <div className="cmp-turn-head">
            Turn {p.index + 1} {p.differs.length ? <span className="flag">differs: {p.differs.join(", ")}</span> : <span className="muted">same</span>}
          </div>
          <div className="cmp-sides">
            <Side t={p.a} testid="compare-a" />
            <Side t={p.b} testid="compare-b" />
          </div>
        </div>
      ))}
    </>
  );
}

/** The two trajectories of one task, turn by turn, with what differs marked. */
function TaskDiff({ task }: { task: TaskComparison }) {
  const bridge = useBridge();
  const [sample, setSample] = useState(0);
  const [pair, setPair] = useState<[Trajectory, Trajectory] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const idA = task.a.trajectoryIds[Math.min(sample, task.a.trajectoryIds.length - 1)];
  const idB = task.b.trajectoryIds[Math.min(sample, task.b.trajectoryIds.length - 1)];
  useEffect(() => {
    setPair(null);
    if (!idA || !idB) return;
    Promise.all([bridge.request("trajectory", { id: idA }), bridge.request("trajectory", { id: idB })]).then(setPair, (e: Error) => setError(e.message));
  }, [bridge, idA, idB]);
  if (!idA || !idB) return <div className="muted">Task {task.taskId} ran in only one of the two runs: nothing to diff.</div>;
  if (error) return <div className="error-banner">{error}</div>;
  const samples = Math.max(task.a.trajectoryIds.length, task.b.trajectoryIds.length);
  return (
    <div className="cmp-diff" data-testid="compare-diff">
      <div className="cmp-diff-head">
        task <b className="mono">{task.taskId}</b> · sample{" "}
        <select value={sample} onChange={(e) => setSample(Number(e.target.value))} aria-label="sample">
          {Array.from({ length: samples }, (_, i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </select>
        {pair && (
          <span className="muted">
            {" "}
            · reward {fmtNum(pair[0].reward.total)} (A) vs {fmtNum(pair[1].reward.total)} (B)
          </span>
        )}
      </div>
      {!pair ? <div className="muted">loading both trajectories…</div> : <TurnDiffList a={pair[0]} b={pair[1]} />}
    </div>
  );
}

/**
 * Compare: this run against another (or one training step against another) on the same tasks:
 * mean reward per task side by side, the tasks that flipped listed first, and a task's two
 * trajectories diffed turn by turn.
 */
export function CompareView({ runId, runs }: { runId: string; runs: Run[] }) {
  const bridge = useBridge();
  const current = runs.find((r) => r.id === runId);
  const candidates = useMemo(() => runs.filter((r) => r.id !== runId && r.config.kind !== "train"), [runs, runId]);
  // Default: the latest other run of the same environment.
  const [other, setOther] = useState<string>("");
  useEffect(() => {
    if (!other || !candidates.some((r) => r.id === other)) setOther((candidates.find((r) => r.envName === current?.envName) ?? candidates[0])?.id ?? "");
  }, [candidates, current, other]);
  const [threshold, setThreshold] = useState(0.5);
  const [flippedOnly, setFlippedOnly] = useState(true);
  const [cmp, setCmp] = useState<RunComparison | null>(null);
  const [open, setOpen] = useState<TaskComparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setCmp(null);
    setOpen(null);
    if (!other) return;
    bridge.request("compareRuns", { a: runId, b: other, threshold }).then(setCmp, (e: Error) => setError(e.message));
  }, [bridge, runId, other, threshold]);
  if (!candidates.length) return <div className="empty">No other run to compare with: run the same tasks again (another policy, or a later checkpoint).</div>;
  const shown = cmp ? (flippedOnly && cmp.gained + cmp.lost > 0 ? cmp.tasks.filter((t) => t.flip) : cmp.tasks) : [];
  return (
    <div className="compare" data-testid="compare-view">
      <div className="cmp-controls">
        <span>
          this run (A) vs{" "}
          <select value={other} onChange={(e) => setOther(e.target.value)} aria-label="compare with" data-testid="compare-with">
            {candidates.map((r) => (
              <option key={r.id} value={r.id}>
                {runLabel(r)}
              </option>
            ))}
          </select>{" "}
          (B)
        </span>
        <label>
          solved at mean reward ≥{" "}
          <input type="number" min={0} max={1} step={0.05} value={threshold} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && setThreshold(e.target.valueAsNumber)} className="cmp-threshold" />
        </label>
        <label>
          <input type="checkbox" checked={flippedOnly} onChange={(e) => setFlippedOnly(e.target.checked)} data-testid="flipped-only" /> flipped tasks only
        </label>
      </div>
      {error && <div className="error-banner">{error}</div>}
      {cmp && (
        <div className="cmp-summary" data-testid="compare-summary">
          {cmp.shared} shared tasks · mean reward {fmtNum(cmp.meanA)} → {fmtNum(cmp.meanB)} · <span className="pos">{cmp.gained} gained</span> · <span className="neg">{cmp.lost} lost</span>
        </div>
      )}
      {cmp && (
        <table className="cmp-table" data-testid="compare-table">
          <thead>
            <tr>
              <th>task</th>
              <th className="num">A</th>
              <th className="num">B</th>
              <th className="num">Δ</th>
              <th>flip</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.taskId} className={`cmp-row ${open?.taskId === t.taskId ? "selected" : ""}`} data-testid="compare-row" data-flip={t.flip ?? ""} onClick={() => setOpen(t)}>
                <td className="mono">{t.taskId}</td>
                <td className="num">{fmtNum(t.a.mean)}</td>
                <td className="num">{fmtNum(t.b.mean)}</td>
                <td className={`num ${t.delta !== null && t.delta > 0 ? "pos" : t.delta !== null && t.delta < 0 ? "neg" : ""}`}>{fmtSigned(t.delta, 3)}</td>
                <td>{t.flip === "gained" ? <span className="pos">▲ solved in B</span> : t.flip === "lost" ? <span className="neg">▼ lost in B</span> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <TaskDiff key={open.taskId} task={open} />}
    </div>
  );
}
