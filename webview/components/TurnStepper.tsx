import { useEffect, useState } from "react";
import type { BlobRef, Message, ToolCall, Trajectory, Turn } from "@agentrl/protocol";
import { fmtMs } from "../util/format";
import { DiffView, looksLikeDiff } from "./DiffView";
import { Screenshot } from "./Screenshot";
import { ForkPanel } from "./ForkPanel";
import { TokenLens } from "./TokenLens";

/** Screenshots attached to a message or an observation (GUI envs); read structurally so older trajectories without them still render. */
function imagesOf(x: object): BlobRef[] {
  const imgs = (x as { images?: unknown }).images;
  return Array.isArray(imgs) ? (imgs as BlobRef[]).filter((b) => typeof b?.sha256 === "string" && typeof b.mime === "string" && b.mime.startsWith("image/")) : [];
}

function MessageBlock({ m, nextAction }: { m: Message; nextAction?: ToolCall }) {
  return (
    <div className={`msg role-${m.role}`}>
      <div className="msg-role">{m.role}</div>
      {m.content && (looksLikeDiff(m.content) ? <DiffView patch={m.content} /> : <pre className="msg-content">{m.content}</pre>)}
      {imagesOf(m).map((b) => (
        <Screenshot key={b.sha256} blob={b} action={nextAction} />
      ))}
    </div>
  );
}

/** The patch inside a tool call's arguments (e.g. apply_patch {patch}), if any. */
function patchArg(args: Record<string, unknown> | null): string | null {
  if (!args) return null;
  for (const v of Object.values(args)) if (typeof v === "string" && looksLikeDiff(v)) return v;
  return null;
}

function TurnView({ turn, next, trajectory }: { turn: Turn; next: Turn | undefined; trajectory: Trajectory }) {
  const calls = turn.assistant.toolCalls ?? [];
  const [forking, setForking] = useState(false);
  return (
    <div className="turn" data-testid="turn">
      <div className="turn-meta muted">
        turn {turn.index + 1} · {fmtMs(turn.durationMs)} · policy {fmtMs(turn.policy.latencyMs)}
        {turn.policy.usage ? ` · ${turn.policy.usage.completionTokens} tokens` : ""}
        {turn.reward !== undefined ? ` · step reward ${turn.reward}` : ""}
        {turn.policyVersion !== undefined ? ` · policy v${turn.policyVersion}` : ""}
        {trajectory.parent ? ` · branch of ${trajectory.parent.trajectoryId} at turn ${trajectory.parent.turn + 1}` : ""}{" "}
        <button className="link-button" onClick={() => setForking((f) => !f)} data-testid="fork-open" title="Branch the episode here in a live sandbox: type this turn's action, score the branch">
          {forking ? "cancel fork" : "fork from this turn"}
        </button>
      </div>
      {forking && <ForkPanel trajectory={trajectory} turn={turn.index} />}
      <MessageBlock m={turn.assistant} />
      <TokenLens info={turn.policy} advantage={trajectory.advantage} />
      {calls.map((c) => {
        const obs = turn.observations.find((o) => o.toolCallId === c.id);
        const patch = patchArg(c.arguments);
        return (
          <div className="tool-exchange" key={c.id}>
            <div className="tool-call" data-testid="tool-call">
              <span className="codicon-like">ƒ</span> <span className="tool-name">{c.name}</span>
              {patch ? <DiffView patch={patch} /> : <pre className="tool-args">{c.arguments ? JSON.stringify(c.arguments, null, 2) : c.rawArguments}</pre>}
            </div>
            {obs && (
              <div className={`observation ${obs.error ? "obs-error" : ""}`} data-testid="observation">
                <div className="obs-head muted">
                  result{obs.error ? ` · ${obs.error}` : ""}
                  {obs.exitCode !== undefined && obs.exitCode !== null ? ` · exit ${obs.exitCode}` : ""} · {fmtMs(obs.durationMs)}
                </div>
                {obs.blob?.mime.startsWith("image/") ? (
                  <Screenshot blob={obs.blob} action={next?.assistant.toolCalls?.[0]} />
                ) : looksLikeDiff(obs.content) ? (
                  <DiffView patch={obs.content} />
                ) : (
                  obs.content && <pre className="obs-content">{obs.content}</pre>
                )}
                {/* What the agent saw after this action, with the action it took next drawn on it. */}
                {imagesOf(obs).map((b) => (
                  <Screenshot key={b.sha256} blob={b} action={next?.assistant.toolCalls?.[0]} />
                ))}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** "policy v3", or "policy v2–v3" when its turns came from several versions; null outside training. */
export function policyVersions(t: Trajectory): string | null {
  const vs = t.turns.flatMap((turn) => (turn.policyVersion === undefined ? [] : [turn.policyVersion]));
  if (!vs.length) return null;
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  return lo === hi ? `policy v${lo}` : `policy v${lo}–v${hi}`;
}

/**
 * Steps through a trajectory one turn at a time (buttons or ←/→ keys); the prompt is shown above the
 * first turn. Only the current turn is in the DOM, so a 200-turn trajectory renders as fast as a short one.
 */
export function TurnStepper({ trajectory }: { trajectory: Trajectory }) {
  const [i, setI] = useState(0);
  const n = trajectory.turns.length;
  useEffect(() => setI(0), [trajectory.id]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if ((e.target as HTMLElement | null)?.tagName === "INPUT") return;
      if (e.key === "ArrowRight") setI((x) => Math.min(n - 1, x + 1));
      if (e.key === "ArrowLeft") setI((x) => Math.max(0, x - 1));
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [n]);
  const turn = trajectory.turns[i];
  return (
    <div className="stepper">
      <div className="stepper-bar">
        <vscode-button secondary disabled={i <= 0 || undefined} onClick={() => setI((x) => Math.max(0, x - 1))} data-testid="prev-turn">
          ‹ Prev
        </vscode-button>
        <span className="stepper-pos" data-testid="turn-position">
          Turn {n ? i + 1 : 0} / {n}
        </span>
        <vscode-button secondary disabled={i >= n - 1 || undefined} onClick={() => setI((x) => Math.min(n - 1, x + 1))} data-testid="next-turn">
          Next ›
        </vscode-button>
        <input
          className="turn-slider"
          type="range"
          min={0}
          max={Math.max(0, n - 1)}
          value={i}
          onChange={(e) => setI(Number(e.target.value))}
          aria-label="turn"
        />
        <span className="muted">stop: {trajectory.stopReason.replace("_", " ")}</span>
        {policyVersions(trajectory) && (
          <span className="muted" data-testid="policy-versions" title="Trainer updates in the weights that sampled its turns: asynchronous rollouts can span an update">
            {policyVersions(trajectory)}
          </span>
        )}
      </div>
      {i === 0 && (
        <details className="prompt" open>
          <summary>prompt ({trajectory.prompt.length} messages)</summary>
          {trajectory.prompt.map((m, k) => (
            <MessageBlock m={m} key={k} nextAction={trajectory.turns[0]?.assistant.toolCalls?.[0]} />
          ))}
        </details>
      )}
      {turn ? <TurnView key={`${trajectory.id}:${i}`} turn={turn} next={trajectory.turns[i + 1]} trajectory={trajectory} /> : <div className="empty">No turns: the episode ended before the policy answered ({trajectory.error?.message ?? trajectory.stopReason}).</div>}
    </div>
  );
}
