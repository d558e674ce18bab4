import { useMemo, useState } from "react";
import type { PolicyInfo } from "@agentrl/protocol";
import { fmtNum, fmtSigned } from "../util/format";
import { DRIFT_THRESHOLD, tokenHeat, tokenLens, type LensToken } from "./token-lens";

function visible(text: string): string {
  // Whitespace-only tokens would vanish; show them as what they are.
  return text.replace(/\n/g, "↵\n").replace(/\t/g, "⇥") || "∅";
}

/**
 * The token lens of one policy turn: every generated token coloured by sampler/trainer drift (or,
 * before training, by how unlikely it was), with sampler logprob, trainer logprob, their
 * difference, entropy and the advantage applied on hover or click; drifting tokens flagged.
 */
export function TokenLens({ info, advantage }: { info: PolicyInfo; advantage: number | null }) {
  const [threshold, setThreshold] = useState(DRIFT_THRESHOLD);
  const lens = useMemo(() => tokenLens(info, threshold), [info, threshold]);
  const [picked, setPicked] = useState<LensToken | null>(null);
  if (!lens) return null;
  const colour = lens.hasTrainer ? "var(--vscode-charts-red, #f14c4c)" : "var(--vscode-charts-orange, #d18616)";
  return (
    <div className="token-lens" data-testid="token-lens">
      <div className="lens-head">
        <span>
          token lens · {lens.tokens.length} tokens · coloured by {lens.hasTrainer ? "|sampler − trainer| logprob" : "sampler surprise (trainer logprobs not recorded for this turn)"}
        </span>
        {lens.hasTrainer && (
          <span data-testid="lens-drift">
            mean |Δ| {fmtNum(lens.meanAbsDiff)} · max {fmtNum(lens.maxAbsDiff)} ·{" "}
            <span className={lens.flagged ? "flag" : "muted"} data-testid="lens-flagged">
              {lens.flagged} past{" "}
            </span>
            <input type="number" className="cmp-threshold" min={0.01} step={0.1} value={threshold} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && e.target.valueAsNumber > 0 && setThreshold(e.target.valueAsNumber)} aria-label="drift threshold" />
          </span>
        )}
        <span className="muted">advantage applied {fmtSigned(advantage, 3)}</span>
      </div>
      <div className="lens-tokens">
        {lens.tokens.map((t) => (
          <span
            key={t.index}
            className={`lens-token ${t.flagged ? "flagged" : ""} ${picked?.index === t.index ? "picked" : ""}`}
            data-testid="lens-token"
            style={{ background: `color-mix(in srgb, ${colour} ${Math.round(tokenHeat(t, threshold) * 60)}%, transparent)` }}
            title={`sampler ${t.sampler.toFixed(3)}${t.trainer !== null ? ` · trainer ${t.trainer.toFixed(3)} · Δ ${fmtSigned(t.diff, 3)}` : ""}${t.entropy !== null ? ` · entropy ${t.entropy.toFixed(3)}` : ""}`}
            onClick={() => setPicked(t)}
          >
            {visible(t.text)}
          </span>
        ))}
      </div>
      {picked && (
        <table className="mini lens-detail" data-testid="lens-detail">
          <tbody>
            <tr>
              <td className="muted">token {picked.index}</td>
              <td className="mono">{JSON.stringify(picked.text)}</td>
            </tr>
            <tr>
              <td className="muted">sampler logprob</td>
              <td className="num">{picked.sampler.toFixed(4)} (p {Math.exp(picked.sampler).toFixed(3)})</td>
            </tr>
            <tr>
              <td className="muted">trainer logprob</td>
              <td className="num">{picked.trainer === null ? "not recorded" : `${picked.trainer.toFixed(4)} (p ${Math.exp(picked.trainer).toFixed(3)})`}</td>
            </tr>
            <tr>
              <td className="muted">difference</td>
              <td className="num">{fmtSigned(picked.diff, 4)}</td>
            </tr>
            <tr>
              <td className="muted">entropy</td>
              <td className="num">{picked.entropy === null ? "not known" : picked.entropy.toFixed(4)}</td>
            </tr>
            <tr>
              <td className="muted">advantage applied</td>
              <td className="num">{fmtSigned(advantage, 4)}</td>
            </tr>
          </tbody>
        </table>
      )}
    </div>
  );
}
