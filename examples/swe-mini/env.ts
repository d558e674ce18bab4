// A software-engineering environment: each task is a real bug in a small Python repository made in
// this project (repos/, built into git history with stable hashes). The runner's `swe` kind adds the
// agent tools (bash, view, str_replace, create, search, submit), starts every episode from the
// repository's cached image, and scores the final `git diff` (tests left out) against hidden tests
// in a fresh container: resolved, fraction of FAIL_TO_PASS passing, PASS_TO_PASS regressions.
import { defineEnvironment, defineReward } from "@agentrl/sdk";

export default defineEnvironment({
  name: "swe-mini",
  kind: "swe",
  description: "Fix real bugs in four small Python repositories; scored by hidden pytest tests.",
  system:
    "You are a software engineer working in a git repository at /testbed. Read the issue, find the code " +
    "responsible with view and search, fix it with str_replace (or create), check your change with bash, " +
    "then call submit. Do not edit the tests: hidden tests decide.",
  maxTurns: 30,
  stepTimeoutMs: 60_000,
  episodeTimeoutMs: 900_000,
  rewardTimeoutMs: 10_000,
  rewards: [
    // Logged only (weight 0): whether the agent ended with submit. The score itself comes from the swe kind.
    defineReward({ name: "submitted", weight: 0, score: (ctx) => ctx.stopReason === "tool_stop" && ctx.finalAnswer === "submitted" }),
  ],
});
