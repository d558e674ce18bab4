import type { RunComparison, TaskComparison, TrajectorySummary } from "@agentrl/protocol";

type Row = Pick<TrajectorySummary, "id" | "taskId" | "sampleIndex" | "reward">;

function side(rows: Row[] | undefined, threshold: number): TaskComparison["a"] {
  const xs = [...(rows ?? [])].sort((p, q) => p.sampleIndex - q.sampleIndex);
  const scored = xs.map((r) => r.reward).filter((r): r is number => r !== null);
  const mean = scored.length ? scored.reduce((s, r) => s + r, 0) / scored.length : null;
  return { mean, samples: xs.length, solved: mean !== null && mean >= threshold, trajectoryIds: xs.map((r) => r.id) };
}

function byTask(rows: Row[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) m.set(r.taskId, [...(m.get(r.taskId) ?? []), r]);
  return m;
}

function meanOf(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
}

/**
 * Two runs on the same tasks, task by task: mean reward on each side, whether the task is solved
 * (mean ≥ threshold) on each side, and which tasks flipped. A task unscored on one side (missing,
 * or every sample failed before scoring) never counts as a flip: there is nothing to compare.
 */
export function compareRuns(a: { id: string; rows: Row[] }, b: { id: string; rows: Row[] }, threshold = 0.5): RunComparison {
  const ta = byTask(a.rows);
  const tb = byTask(b.rows);
  const ids = [...new Set([...ta.keys(), ...tb.keys()])];
  const tasks: TaskComparison[] = ids.map((taskId) => {
    const sa = side(ta.get(taskId), threshold);
    const sb = side(tb.get(taskId), threshold);
    const both = sa.mean !== null && sb.mean !== null;
    const flip = both && sa.solved !== sb.solved ? (sb.solved ? "gained" : "lost") : null;
    return { taskId, a: sa, b: sb, delta: both ? sb.mean! - sa.mean! : null, flip };
  });
  const rank = (t: TaskComparison): number => (t.flip === "lost" ? 0 : t.flip === "gained" ? 1 : 2);
  tasks.sort((p, q) => rank(p) - rank(q) || Math.abs(q.delta ?? 0) - Math.abs(p.delta ?? 0) || p.taskId.localeCompare(q.taskId));
  const shared = tasks.filter((t) => t.a.samples > 0 && t.b.samples > 0);
  const scored = tasks.filter((t) => t.delta !== null);
  return {
    a: a.id,
    b: b.id,
    threshold,
    shared: shared.length,
    gained: tasks.filter((t) => t.flip === "gained").length,
    lost: tasks.filter((t) => t.flip === "lost").length,
    // Over the tasks both sides scored, so the two means are of the same tasks.
    meanA: meanOf(scored.map((t) => t.a.mean)),
    meanB: meanOf(scored.map((t) => t.b.mean)),
    tasks,
  };
}
