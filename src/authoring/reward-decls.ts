/** One reward declaration found in a source file. */
export interface RewardDecl {
  name: string;
  line: number;
}

/**
 * Reward declarations: `defineReward({ name: "x" ... })` and built-in graders inside a `rewards: [...]`
 * array (`exactMatch({ name: "correct" })`). Text-based on purpose: CodeLens must not run user code.
 */
export function findRewardDecls(text: string): RewardDecl[] {
  const out: RewardDecl[] = [];
  const lines = text.split(/\r?\n/);
  let inRewards = false;
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/\brewards\s*:\s*\[/.test(line)) {
      inRewards = true;
      depth = 0;
    }
    const def = /\bdefineReward\s*(<[^>]*>)?\s*\(/.exec(line);
    const grader = inRewards && /^\s*\w+\s*\(\s*\{/.exec(line);
    if (def || grader) {
      // The name is on this line or one of the next few (multi-line object literals).
      for (let j = i; j < Math.min(lines.length, i + 6); j++) {
        const m = /\bname:\s*["'`]([^"'`]+)["'`]/.exec(lines[j]!);
        if (m) {
          out.push({ name: m[1]!, line: i });
          break;
        }
      }
    }
    if (inRewards) {
      for (const ch of line) {
        if (ch === "[") depth++;
        else if (ch === "]") depth--;
      }
      if (depth <= 0 && !/\brewards\s*:\s*\[\s*$/.test(line)) inRewards = depth > 0;
    }
  }
  return out;
}
