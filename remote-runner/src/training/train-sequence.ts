import crypto from "node:crypto";
import type { TrainSegment, Turn } from "@agentrl/protocol";
import { extendsIds } from "../util/token-ids.js";

/**
 * The token sequences of a trajectory for training. A turn whose prompt ids extend the previous
 * turn's prompt and sampled ids (a token-exact episode) joins that turn's segment: the tokens in
 * between (tool results, turn markers) become context and the turn's sampled tokens a new span, so
 * the episode trains as one sequence and the cost grows linearly with the number of turns. A turn
 * whose server re-rendered the history starts a segment of its own.
 */
export function trainSegments(turns: readonly Turn[]): { segments: TrainSegment[] } | { skip: string } {
  const segments: TrainSegment[] = [];
  for (const turn of turns) {
    const p = turn.policy;
    if (!p.promptTokenIds || !p.completionTokenIds) return { skip: `turn ${turn.index} has no token ids (run the policy with --token-ids against a server that returns them)` };
    const logprobs = p.completionLogprobs ?? [];
    if (logprobs.length !== p.completionTokenIds.length) return { skip: `turn ${turn.index} has ${logprobs.length} logprobs for ${p.completionTokenIds.length} tokens` };
    const cur = segments.at(-1);
    const seen = cur ? [...cur.prompt_token_ids, ...cur.completion_token_ids] : [];
    if (cur && extendsIds(p.promptTokenIds, seen)) {
      const context = p.promptTokenIds.slice(seen.length);
      const start = cur.completion_token_ids.length + context.length;
      cur.completion_token_ids.push(...context, ...p.completionTokenIds);
      cur.logprobs.push(...context.map(() => 0), ...logprobs);
      cur.turn_spans?.push([start, start + p.completionTokenIds.length]);
    } else {
      segments.push({
        prompt_token_ids: [...p.promptTokenIds],
        completion_token_ids: [...p.completionTokenIds],
        logprobs: [...logprobs],
        turn_spans: [[0, p.completionTokenIds.length]],
      });
    }
  }
  if (segments.length === 0) return { skip: "no policy turns" };
  return { segments };
}

/**
 * A key for what each turn saw: the opening messages for the first turn, the previous turn's
 * observations after that. Turns of one group with equal keys saw the same state (GiGPO anchors).
 */
export function turnStateKeys(prompt: readonly { content: string }[], turns: readonly Turn[]): string[] {
  const hash = (v: unknown): string => crypto.createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);
  return turns.map((t, i) => (i === 0 ? hash(prompt.map((m) => m.content)) : hash((turns[i - 1] as Turn).observations.map((o) => o.content))));
}
