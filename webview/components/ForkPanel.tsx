import { useEffect, useState } from "react";
import type { ForkStarted, Trajectory, TypedAction } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { fmtNum } from "../util/format";
import { TurnDiffList } from "./CompareView";

/** How often the branch's one-episode run is asked whether it ended. */
const BRANCH_POLL_MS = 1000;

/** The typed action from the form, or the problem that stops it. */
export function typedAction(content: string, tool: string, argsText: string): TypedAction | string {
  const action: TypedAction = {};
  if (content.trim()) action.content = content;
  if (tool) {
    let args: unknown;
    try {
      args = JSON.parse(argsText || "{}");
    } catch (err) {
      return `The arguments are not JSON (${(err as Error).message}). Fix: write a JSON object, e.g. {"expression": "2 + 2"}.`;
    }
    if (typeof args !== "object" || args === null || Array.isArray(args)) return 'The arguments must be a JSON object, e.g. {"expression": "2 + 2"}.';
    action.toolCalls = [{ name: tool, arguments: args as Record<string, unknown> }];
  }
  return action;
}

/** The branch once its episode ended, beside the original turn by turn. */
function Branch({ original, started }: { original: Trajectory; started: ForkStarted }) {
  const bridge = useBridge();
  const [branch, setBranch] = useState<Trajectory | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const poll = (): void => {
      // Asked through the run list: asking for the run itself would make the branch "the run in the inspector".
      bridge.request("listRuns", {}).then(
        (list) => {
          if (!live) return;
          const r = list.items.find((x) => x.id === started.runId);
          if (!r) return void setError(`the branch's run ${started.runId} is not on the runner`);
          if (r.status === "queued" || r.status === "running" || r.status === "paused") setTimeout(poll, BRANCH_POLL_MS);
          else if (r.status !== "finished") setError(`the branch's run ${r.status}${r.error ? `: ${r.error}` : ""}`);
          else bridge.request("trajectory", { id: started.trajectoryId }).then((t) => live && setBranch(t), (e: Error) => live && setError(e.message));
        },
        (e: Error) => live && setError(e.message),
      );
    };
    poll();
    return () => {
      live = false;
    };
  }, [bridge, started]);
  const how = started.restoredBy === "replay" ? `restored by replaying ${started.replayedToolCalls} recorded tool call${started.replayedToolCalls === 1 ? "" : "s"} in a fresh sandbox (no snapshot was kept at this turn)` : "restored from the snapshot taken at this turn";
  return (
    <div className="fork-branch" data-testid="fork-branch">
      <div className="muted">{how}</div>
      {error && <div className="error-banner">{error}</div>}
      {!branch && !error && <div className="muted">running the branch…</div>}
      {branch && (
        <>
          <div data-testid="fork-score">
            branch reward <b>{fmtNum(branch.reward.total)}</b> ({Object.entries(branch.reward.components).map(([k, v]) => `${k} ${fmtNum(v, 2)}`).join(", ")}) vs original <b>{fmtNum(original.reward.total)}</b>
            {branch.reward.errors.length ? <span className="flag"> {branch.reward.errors.length} reward errors</span> : null}
          </div>
          <div className="cmp-sides muted">
            <span>original</span>
            <span>branch</span>
          </div>
          <TurnDiffList a={original} b={branch} />
        </>
      )}
    </div>
  );
}

/**
 * Fork from this turn: the turns before it are restored in a fresh sandbox, then the action typed
 * here (text and/or one tool call) plays this turn and, if a policy is named, continues; the branch
 * is scored with the environment's rewards and shown beside the original.
 */
export function ForkPanel({ trajectory, turn }: { trajectory: Trajectory; turn: number }) {
  const bridge = useBridge();
  const [content, setContent] = useState("");
  const [tool, setTool] = useState(trajectory.tools[0]?.name ?? "");
  const [args, setArgs] = useState("{}");
  const [policy, setPolicy] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<ForkStarted | null>(null);
  const submit = (): void => {
    const action = typedAction(content, tool, args);
    if (typeof action === "string") return setError(action);
    setError(null);
    const request = { turn, ...(action.content || action.toolCalls ? { action } : {}), ...(policy.trim() ? { policy: { spec: policy.trim() } } : {}) };
    bridge.request("forkTrajectory", { trajectoryId: trajectory.id, request }).then(setStarted, (e: Error) => setError(e.message));
  };
  if (started) return <Branch original={trajectory} started={started} />;
  return (
    <div className="fork-panel" data-testid="fork-panel">
      <div className="muted">Fork at turn {turn + 1}: turns 1–{turn} are restored, then this turn plays what you type.</div>
      <textarea className="fork-content" placeholder="assistant text (optional)" value={content} onChange={(e) => setContent(e.target.value)} data-testid="fork-content" />
      <div className="fork-row">
        <label>
          tool call{" "}
          <select value={tool} onChange={(e) => setTool(e.target.value)} data-testid="fork-tool">
            <option value="">(none)</option>
            {trajectory.tools.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <input className="fork-args mono" value={args} onChange={(e) => setArgs(e.target.value)} aria-label="tool arguments (JSON)" data-testid="fork-args" disabled={!tool} />
      </div>
      <div className="fork-row">
        <label>
          then continue with policy <input value={policy} onChange={(e) => setPolicy(e.target.value)} placeholder="(stop after this turn)" data-testid="fork-policy" />
        </label>
        <vscode-button onClick={submit} data-testid="fork-submit">
          Fork and score
        </vscode-button>
      </div>
      {error && <div className="error-banner">{error}</div>}
    </div>
  );
}
