// Desktop tasks over real applications, written as OSWorld publishes its tasks (UUID ids,
// /home/user paths, `python -c "import pyautogui; ..."` steps, string commands with `shell`,
// `google-chrome --remote-debugging-port=1337` and socat as in OSWorld's Chrome tasks): a terminal
// (xterm), a text editor (Mousepad), a browser (Chromium, on pages served from the desktop itself:
// sandboxes have no network) and LibreOffice Calc and Writer. `image: "apps"` selects the desktop
// image with those applications; each task's OSWorld `evaluator` scores it (files, spreadsheets
// cell by cell, the browser's open tabs). reference.jsonl solves every task.
import { defineEnvironment, defineReward } from "@agentrl/sdk";

export default defineEnvironment({
  name: "desktop-apps",
  kind: "gui",
  description: "21 OSWorld-style tasks over xterm, Mousepad, Chromium and LibreOffice Calc and Writer.",
  system:
    "You operate a Linux desktop through mouse and keyboard actions (the tools). After every action you get " +
    "a screenshot and the accessibility tree, where each control shows its centre as @(x,y). The user's home " +
    "is /home/user. Call done when the task is finished, or fail if it cannot be done.",
  maxTurns: 15,
  stepTimeoutMs: 60_000,
  episodeTimeoutMs: 300_000,
  rewardTimeoutMs: 60_000,
  rewards: [
    // Logged only (weight 0): how many actions the agent took. The score is the task's OSWorld evaluator.
    defineReward({ name: "actions", weight: 0, score: (ctx) => Math.min(1, ctx.toolCalls / 20) }),
  ],
  gui: {
    image: "apps",
    files: "files",
    accessibilityTree: true,
    // OSWorld fetches expected files from its cloud bucket; here they come from the env folder.
    downloads: { "https://agentrl.example/desktop-apps/orders-expected.xlsx": "expected/orders.xlsx" },
  },
});
