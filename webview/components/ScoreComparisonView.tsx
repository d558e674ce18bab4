import type { ScoreComparison } from "@agentrl/protocol";
import { fmtNum, fmtSigned } from "../util/format";

/** Before/after scores and advantages of a reward edit, most-changed trajectories first. */
export function ScoreComparisonView({ c, onOpen }: { c: ScoreComparison; onOpen: (trajectoryId: string) => void }) {
  return (
    <div className="score-comparison" data-testid="score-comparison">
      <div className="group-head">
        <span>
          <b>{c.reward}</b> in <span className="mono">{c.file}</span>: {c.changed} of {c.scored} trajectories changed · mean {fmtNum(c.meanBefore)} → <b>{fmtNum(c.meanAfter)}</b>
        </span>
      </div>
      <table className="components">
        <thead>
          <tr>
            <th>task</th>
            <th>#</th>
            <th className="num">before</th>
            <th className="num">after</th>
            <th className="num">Δ</th>
            <th className="num">adv before</th>
            <th className="num">adv after</th>
            <th>errors</th>
          </tr>
        </thead>
        <tbody>
          {c.items.map((r) => {
            const d = r.after !== null && r.before !== null ? r.after - r.before : null;
            return (
              <tr key={r.trajectoryId} className="clickable" onClick={() => onOpen(r.trajectoryId)} data-testid="score-row">
                <td className="mono">{r.taskId}</td>
                <td>{r.sampleIndex}</td>
                <td className="num">{fmtNum(r.before)}</td>
                <td className="num">{fmtNum(r.after)}</td>
                <td className={`num ${d && d > 0 ? "pos" : d && d < 0 ? "neg" : ""}`}>{fmtSigned(d)}</td>
                <td className="num">{fmtSigned(r.advantageBefore)}</td>
                <td className="num">{fmtSigned(r.advantageAfter)}</td>
                <td className={r.errors.length ? "status bad" : "muted"}>{r.errors.length ? r.errors.join("; ") : "—"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
