import type { Run } from "@agentrl/protocol";
import { fmtNum } from "../util/format";

/** The step number of a training run's step rollout run (named "<train run> step N"). */
export function stepOf(r: Run): number {
  return Number(/ step (\d+)$/.exec(r.config.name ?? "")?.[1] ?? 0);
}

/**
 * A training run has no trajectories of its own: each step's rollouts are a run whose parent is
 * the training run. Listed newest first; opening one shows its trajectories and groups.
 */
export function TrainSteps({ run, runs, onOpen }: { run: Run; runs: Run[]; onOpen: (runId: string) => void }) {
  const steps = runs.filter((r) => r.config.parentRunId === run.id).sort((a, b) => stepOf(b) - stepOf(a) || b.createdAt - a.createdAt);
  const total = run.config.train?.steps;
  return (
    <div className="train-steps" data-testid="train-steps">
      <div className="muted train-steps-head">
        {steps.filter((s) => s.status === "finished").length} / {total ?? "?"} steps rolled out · open a step to see its trajectories
      </div>
      {steps.length === 0 && <div className="muted">No step has started yet (the trainer is loading the model).</div>}
      {steps.map((s) => (
        <button key={s.id} className="traj-row train-step" data-testid="train-step" onClick={() => onOpen(s.id)}>
          <span className="mono">step {stepOf(s)}</span>
          <span className="muted"> · {s.status}</span>
          {s.summary && <span> · reward {fmtNum(s.summary.meanReward)} · {s.summary.trajectories} traj</span>}
        </button>
      ))}
    </div>
  );
}
