import { useEffect, useState } from "react";
import { advantageLabel, type AdvantageSource, type TrajectorySummary } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { fmtNum, fmtSigned, std } from "../util/format";

/**
 * The N samples of one task side by side: total, each component, advantage. A group whose rewards
 * are all equal gives every sample advantage 0 — no learning signal — and is flagged.
 */
export function GroupView({ runId, groupId, onOpen }: { runId: string; groupId: string; onOpen: (t: TrajectorySummary) => void }) {
  const bridge = useBridge();
  const [items, setItems] = useState<TrajectorySummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setItems(null);
    bridge
      .request("trajectoryPage", { runId, query: { groupId, limit: 1000 } })
      .then((p) => setItems([...p.items].sort((a, b) => a.sampleIndex - b.sampleIndex)))
      .catch((e: Error) => setError(e.message));
  }, [bridge, runId, groupId]);
  // Which estimator gave these advantages, and whether the trainer trained with them (one group, one source).
  const [source, setSource] = useState<AdvantageSource | null | undefined>(undefined);
  const first = items?.[0]?.id;
  useEffect(() => {
    if (!first) return;
    bridge
      .request("trajectory", { id: first })
      .then((t) => setSource(t.advantageSource ?? null))
      .catch(() => setSource(null));
  }, [bridge, first]);
  if (error) return <div className="error-banner">{error}</div>;
  if (!items) return <div className="muted">loading group…</div>;
  const rewards = items.map((t) => t.reward).filter((x): x is number => x !== null);
  const zeroVar = rewards.length > 1 && std(rewards) < 1e-9;
  const comps = [...new Set(items.flatMap((t) => Object.keys(t.components)))].sort();
  const best = Math.max(...rewards);
  return (
    <div className="group-view" data-testid="group-view">
      <div className="group-head">
        <span>
          task <b className="mono">{items[0]?.taskId}</b> · {items.length} samples · mean {fmtNum(rewards.reduce((a, b) => a + b, 0) / (rewards.length || 1))} · std {fmtNum(std(rewards))}
        </span>
        {source !== undefined && (
          <span className="muted" data-testid="advantage-source" title="The estimator of these advantages: the runner's when the group finished, or the values the trainer trained with.">
            advantages: {advantageLabel(source)}
          </span>
        )}
        {zeroVar && (
          <span className="flag" data-testid="zero-variance" title="Every sample got the same reward, so every advantage is 0 and this group teaches the policy nothing.">
            ⚠ zero variance — no learning signal
          </span>
        )}
      </div>
      <div className="group-grid">
        {items.map((t) => (
          <div key={t.id} className={`sample-card ${t.reward === best && !zeroVar ? "best" : ""}`} data-testid="sample-card" onClick={() => onOpen(t)}>
            <div className="sample-title">sample {t.sampleIndex}</div>
            <div className="sample-reward">{fmtNum(t.reward)}</div>
            <div className={`sample-adv ${t.advantage !== null && t.advantage > 0 ? "pos" : t.advantage !== null && t.advantage < 0 ? "neg" : ""}`} data-testid="sample-advantage">
              adv {fmtSigned(t.advantage, 3)}
            </div>
            <table className="mini">
              <tbody>
                {comps.map((c) => (
                  <tr key={c}>
                    <td className="muted">{c}</td>
                    <td className="num">{fmtNum(t.components[c], 2)}</td>
                  </tr>
                ))}
                <tr>
                  <td className="muted">turns / tools</td>
                  <td className="num">
                    {t.turns} / {t.toolCalls}
                  </td>
                </tr>
              </tbody>
            </table>
            {t.error && <div className="status bad">{t.error}</div>}
          </div>
        ))}
      </div>
    </div>
  );
}
