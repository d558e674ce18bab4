import type { Trajectory, Turn } from "@agentrl/protocol";

/** What a turn did, as text that compares equal when two turns did the same thing. */
export interface TurnText {
  said: string;
  calls: string[];
  results: string[];
}

export function turnText(t: Turn): TurnText {
  return {
    said: t.assistant.content.trim(),
    calls: (t.assistant.toolCalls ?? []).map((c) => `${c.name}(${JSON.stringify(c.arguments)})`),
    results: t.observations.map((o) => (o.error ? `${o.tool} error: ${o.error}` : o.content.trim())),
  };
}

export interface TurnPair {
  index: number;
  a: TurnText | null;
  b: TurnText | null;
  /** Which parts differ; empty when both turns said, called and got the same. */
  differs: ("said" | "calls" | "results" | "missing")[];
}

/** Two trajectories of one task turn by turn: the pairs by turn index and what differs in each. */
export function diffTurns(a: Pick<Trajectory, "turns">, b: Pick<Trajectory, "turns">): TurnPair[] {
  const n = Math.max(a.turns.length, b.turns.length);
  return Array.from({ length: n }, (_, i) => {
    const ta = a.turns[i] ? turnText(a.turns[i]) : null;
    const tb = b.turns[i] ? turnText(b.turns[i]) : null;
    const differs: TurnPair["differs"] = [];
    if (!ta || !tb) differs.push("missing");
    else {
      if (ta.said !== tb.said) differs.push("said");
      if (ta.calls.join("\n") !== tb.calls.join("\n")) differs.push("calls");
      if (ta.results.join("\n") !== tb.results.join("\n")) differs.push("results");
    }
    return { index: i, a: ta, b: tb, differs };
  });
}
