import type { Trajectory } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { fmtNum, fmtSigned } from "../util/format";

/** Each reward component with its weight and weighted share, errors, the advantage; names jump to the reward's source line. */
export function RewardBreakdown({ trajectory }: { trajectory: Trajectory }) {
  const bridge = useBridge();
  const r = trajectory.reward;
  const names = Object.keys({ ...r.weights, ...r.components });
  return (
    <div className="reward-breakdown" data-testid="reward-breakdown">
      <div className="reward-total">
        <span className="big">{fmtNum(r.total)}</span>
        <span className="muted"> total</span>
        <span className={`adv ${trajectory.advantage !== null && trajectory.advantage > 0 ? "pos" : trajectory.advantage !== null && trajectory.advantage < 0 ? "neg" : ""}`}>
          advantage {fmtSigned(trajectory.advantage)}
        </span>
      </div>
      <table className="components">
        <thead>
          <tr>
            <th>component</th>
            <th className="num">value</th>
            <th className="num">weight</th>
            <th className="num">contrib.</th>
            <th className="num">adv</th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => {
            const v = r.components[name];
            const w = r.weights[name] ?? 0;
            return (
              <tr key={name}>
                <td>
                  <a href="#" className="source-link" title="Open the reward's source" onClick={(e) => (e.preventDefault(), void bridge.request("openRewardSource", { reward: name, envName: trajectory.provenance.envName }))}>
                    {name}
                  </a>
                </td>
                <td className="num">{fmtNum(v)}</td>
                <td className="num muted">{w === 0 ? "metric" : fmtNum(w, 2)}</td>
                <td className="num">
                  <span className="bar" style={{ width: `${Math.round(Math.max(0, Math.min(1, (v ?? 0) * w)) * 60)}px` }} />
                  {v === undefined ? "—" : fmtNum(v * w)}
                </td>
                <td className="num">{fmtSigned(trajectory.componentAdvantages?.[name], 2)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {r.errors.map((e, k) => (
        <div className="error-banner" key={k}>
          reward <b>{e.reward}</b> {e.kind}: {e.message}
        </div>
      ))}
      {trajectory.error && <div className="error-banner">{trajectory.error.kind} error: {trajectory.error.message}</div>}
    </div>
  );
}
