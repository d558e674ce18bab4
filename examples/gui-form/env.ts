// A desktop environment: each task is an OSWorld-form task over three small Tk apps made in this
// project (files/apps: a registration form, a text editor, a settings window). The runner's `gui`
// kind starts a desktop per episode (Xvfb, a window manager, xdotool), runs each task's `config`
// steps, offers the computer_13 actions as tools (each answered with a screenshot and the
// accessibility tree), and scores the episode with the task's OSWorld `evaluator`.
import { defineEnvironment, defineReward } from "@agentrl/sdk";

export default defineEnvironment({
  name: "gui-form",
  kind: "gui",
  description: "Fill in a form, tick boxes, pick from menus, type and save in an editor: 14 OSWorld-form desktop tasks.",
  system:
    "You operate a Linux desktop through mouse and keyboard actions (the tools). After every action you get " +
    "a screenshot and the accessibility tree, where each control shows its centre as @(x,y). Click a field " +
    "before typing into it. Call done when the task is finished, or fail if it cannot be done.",
  maxTurns: 15,
  stepTimeoutMs: 30_000,
  episodeTimeoutMs: 300_000,
  rewardTimeoutMs: 10_000,
  rewards: [
    // Logged only (weight 0): how many actions the agent took. The score is the task's OSWorld evaluator.
    defineReward({ name: "actions", weight: 0, score: (ctx) => Math.min(1, ctx.toolCalls / 20) }),
  ],
  gui: { files: "files", accessibilityTree: true },
});
