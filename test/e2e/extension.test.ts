// End-to-end: the packaged .vsix in a real VS Code (code-server) in Debian's chromium, with the
// embedded runner (agentrl serve) on loopback and real Docker sandboxes. One code-server for the file.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import type { Browser, FrameLocator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readSdkDeclarations, SCAFFOLD_KINDS, writeScaffold } from "../../sdk/scaffold/index";
import { makeTinyModel } from "../helpers/tiny-model";
import { launchChromium, repoRoot, runCommand, screenshotPath, startCodeServer, type CodeServer } from "./code-server";

const vsix = path.join(repoRoot, "dist/agentrl-studio.vsix");
/** An env.ts with a mistake a user makes: a reward returning a string (line 3). */
const TYPECHECK_DRAFT = [
  'import { defineEnvironment, defineReward } from "@agentrl/sdk";',
  "",
  'const bad = defineReward({ name: "bad", score: (ctx) => ctx.finalAnswer.trim() });',
  "",
  'export default defineEnvironment({ name: "typecheck-draft", rewards: [bad] });',
  "",
].join("\n");
let server: CodeServer;
let browser: Browser;
let page: Page;
let workspace: string;
let tinyModel: string;

function inspector(): FrameLocator {
  return page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
}

/** Switches the color theme the way a user does (Preferences: Color Theme) and waits for the workbench to repaint. */
async function setTheme(theme: "Dark Modern" | "Light Modern"): Promise<void> {
  await runCommand(page, "Preferences: Color Theme");
  const input = page.locator(".quick-input-widget input");
  await input.fill(theme);
  // The picker previews the focused theme: wait until that is ours before choosing it, and until the
  // picker has closed (a preview passes the checks below, then reverts when Enter chose another row).
  await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: theme }).first().waitFor({ state: "visible" });
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
  const light = theme.startsWith("Light");
  await page.waitForFunction((l) => document.querySelector(".monaco-workbench")?.classList.contains(l ? "vs" : "vs-dark") ?? false, light, { timeout: 20_000 });
  // The class changes before the parts repaint: a picture taken at once showed dark side bars in the
  // light theme. Wait for the side bar's own colour to follow.
  await page.waitForFunction(
    (l) => {
      const bg = getComputedStyle(document.querySelector(".part.sidebar") ?? document.body).backgroundColor;
      const [r = 0, g = 0, b = 0] = (bg.match(/\d+/g) ?? []).map(Number);
      return (r + g + b) / 3 > 128 === l;
    },
    light,
    { timeout: 20_000 },
  );
  // ...and for the page to paint it (two animation frames), before any picture is taken.
  await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
}

/** Opens a workspace file by its relative path through Quick Open and waits until its editor is the active one. */
async function openFile(rel: string): Promise<void> {
  await page.keyboard.press("Control+P");
  await page.locator(".quick-input-widget input").fill(rel);
  // The row whose description is the file's folder: the list is refreshed as the query is typed.
  await page.locator(".quick-input-list .monaco-list-row", { hasText: path.dirname(rel) }).filter({ hasText: path.basename(rel) }).first().click();
  await page.locator(".monaco-breadcrumbs", { hasText: path.basename(path.dirname(rel)) }).first().waitFor({ timeout: 20_000 });
}

/** Waits for the quick input titled `title`, filters it by `label` and clicks that row. */
async function pick(title: string, label: string): Promise<void> {
  await page.locator(".quick-input-widget .quick-input-title", { hasText: title }).waitFor({ state: "visible" });
  await page.locator(".quick-input-widget input").fill(label);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: label }).first().click();
}

/** Waits for the input box titled `title`, types `value` and presses Enter. */
async function enter(title: string, value: string): Promise<void> {
  await page.locator(".quick-input-widget .quick-input-title", { hasText: title }).waitFor({ state: "visible" });
  await page.locator(".quick-input-widget input").fill(value);
  await page.keyboard.press("Enter");
}

beforeAll(async () => {
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing. Fix: run \`npm run package\` first (npm run test:e2e does both).`);
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-e2e-ws-"));
  fs.cpSync(path.join(repoRoot, "examples/calculator"), path.join(workspace, "calculator"), { recursive: true });
  fs.cpSync(path.join(repoRoot, "examples/addition"), path.join(workspace, "addition"), { recursive: true });
  // Every example and every template, for the type-checking check (no node_modules anywhere in the workspace).
  for (const ex of ["swe-mini", "gui-form"]) fs.cpSync(path.join(repoRoot, "examples", ex), path.join(workspace, ex), { recursive: true });
  for (const kind of SCAFFOLD_KINDS) writeScaffold(path.join(workspace, "templates", kind), kind, `template-${kind}`, readSdkDeclarations(path.join(repoRoot, "sdk/types")));
  fs.mkdirSync(path.join(workspace, "typecheck-draft"));
  fs.writeFileSync(path.join(workspace, "typecheck-draft", "env.ts"), TYPECHECK_DRAFT);
  fs.writeFileSync(path.join(workspace, "typecheck-draft", "tasks.jsonl"), '{"id":"t1","prompt":"hi"}\n');
  // An environment whose tool sleeps far past the stall threshold set below: the live-episodes check.
  fs.cpSync(path.join(repoRoot, "test/fixtures/stall"), path.join(workspace, "stall"), { recursive: true });
  // Training from the editor with a tiny random model: the real trainer in seconds (mechanics, not quality).
  tinyModel = makeTinyModel(fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-e2e-model-")));
  // A dataset with mistakes, for the diagnostics check: line 2 repeats an id, line 3 is not JSON.
  fs.writeFileSync(path.join(workspace, "calculator", "tasks-draft.jsonl"), ['{"id":"d-1","prompt":"1+1?"}', '{"id":"d-1","prompt":"2+2?"}', '{"id":"d-3","prompt":'].join("\n") + "\n");
  server = await startCodeServer({
    vsix,
    workspace,
    settings: {
      "workbench.colorTheme": "Default Dark Modern",
      "workbench.startupEditor": "none",
      "workbench.secondarySideBar.defaultVisibility": "hidden",
      "workbench.tips.enabled": false,
      "security.workspace.trust.enabled": false,
      "extensions.autoUpdate": false,
      "extensions.autoCheckUpdates": false,
      "telemetry.telemetryLevel": "off",
      "chat.disableAIFeatures": true,
      "agentrl.runnerCommand": path.join(repoRoot, "remote-runner/dist/cli.js"),
      "agentrl.nodePath": process.execPath,
      "agentrl.policy": "scripted:reference.jsonl",
      "agentrl.groupSize": 4,
      "agentrl.stallAfterSeconds": 5,
    },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  await page.goto(server.url);
  await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 90_000 });
}, 240_000);

// A failed step leaves a picture of the screen behind, to see what the user would have seen.
afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail" && page) await page.screenshot({ path: screenshotPath(`FAILED-${ctx.task.name.slice(0, 40).replace(/\W+/g, "-")}`) });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  if (tinyModel) fs.rmSync(tinyModel, { recursive: true, force: true });
});

describe("AgentRL Studio in VS Code", () => {
  it("shows the AgentRL container with Environments, Runners and Runs, and finds the calculator env", async () => {
    await page.locator('.activitybar a[aria-label^="AgentRL"], .activitybar li[aria-label^="AgentRL"]').first().click();
    for (const view of ["Environments", "Runners", "Runs"]) {
      await expect.poll(() => page.locator(".pane-header", { hasText: view }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    }
    const envRow = page.locator('.pane-body .monaco-list-row[aria-label*="calculator"]').first();
    await envRow.waitFor({ state: "visible", timeout: 30_000 });
    expect(await envRow.textContent()).toContain("tool");
    await page.screenshot({ path: screenshotPath("01-views") });
  });

  it("starts the embedded runner", async () => {
    await runCommand(page, "AgentRL: Start Embedded Runner");
    const row = page.locator(".pane-body .monaco-list-row", { hasText: "Local (embedded)" });
    await expect.poll(async () => (await row.textContent()) ?? "", { timeout: 60_000 }).toMatch(/running · http:\/\/127\.0\.0\.1:\d+/);
  });

  it("runs one episode from the env.ts CodeLens and the inspector shows the trajectory", async () => {
    await openFile("calculator/env.ts");
    const lens = page.locator(".codelens-decoration a", { hasText: "Run one episode" });
    await lens.waitFor({ state: "visible", timeout: 30_000 });
    await expect(page.locator(".codelens-decoration a", { hasText: "Preflight" }).count()).resolves.toBeGreaterThan(0);
    await expect(page.locator(".codelens-decoration a", { hasText: "Score stored trajectories (correct)" }).count()).resolves.toBe(1);
    await lens.click();
    const frame = inspector();
    await frame.locator('[data-testid="run-status"]', { hasText: "finished" }).waitFor({ timeout: 120_000 });
    await expect.poll(() => frame.locator('[data-testid="traj-list"]').getAttribute("data-total"), { timeout: 30_000 }).toBe("4");
    await expect.poll(() => frame.locator(".traj-row").count()).toBe(4);
    expect(await frame.locator(".traj-row").first().textContent()).toContain("calc-001");
    expect(await frame.locator('[data-testid="reward-breakdown"]').textContent()).toMatch(/1\.000\s*total/);
    await page.screenshot({ path: screenshotPath("02-inspector-dark") });
  });

  it("steps through turns: a tool call with its arguments, then its result", async () => {
    const frame = inspector();
    await expect.poll(() => frame.locator('[data-testid="turn-position"]').textContent()).toContain("Turn 1 / 2");
    const call = frame.locator('[data-testid="tool-call"]').first();
    expect(await call.textContent()).toContain("calculate");
    expect(await call.textContent()).toContain("92 * 12");
    expect(await frame.locator('[data-testid="observation"]').first().textContent()).toContain("1104");
    await frame.locator('[data-testid="next-turn"]').click();
    await expect.poll(() => frame.locator('[data-testid="turn-position"]').textContent()).toContain("Turn 2 / 2");
    expect(await frame.locator('[data-testid="turn"] .msg.role-assistant').textContent()).toContain("<answer>1104</answer>");
  });

  it("shows the group: 4 samples with advantages, flagged zero-variance", async () => {
    const frame = inspector();
    await frame.locator('[data-testid="tab-group"]').click();
    await expect.poll(() => frame.locator('[data-testid="sample-card"]').count(), { timeout: 20_000 }).toBe(4);
    const advs = await frame.locator('[data-testid="sample-advantage"]').allTextContents();
    expect(advs).toHaveLength(4);
    for (const a of advs) expect(a).toMatch(/adv [+-]\d\.\d{3}/);
    // The reference policy solves every sample: identical rewards, no learning signal.
    expect(await frame.locator('[data-testid="zero-variance"]').count()).toBe(1);
    await page.screenshot({ path: screenshotPath("03-group-dark") });
    await setTheme("Light Modern");
    await frame.locator('[data-testid="tab-trajectory"]').click();
    await page.screenshot({ path: screenshotPath("04-inspector-light") });
    await frame.locator('[data-testid="tab-group"]').click();
    await page.screenshot({ path: screenshotPath("05-group-light") });
  });

  it("jumps from a reward component in the breakdown to its source line", async () => {
    const frame = inspector();
    await frame.locator('[data-testid="tab-trajectory"]').click();
    await frame.locator("a.source-link", { hasText: "format" }).click();
    const line = fs.readFileSync(path.join(workspace, "calculator/env.ts"), "utf8").split("\n").findIndex((l) => l.includes('name: "format"')) + 1;
    expect(line).toBeGreaterThan(0);
    await expect.poll(async () => (await page.locator(".statusbar-item", { hasText: /Ln \d+, Col \d+/ }).first().textContent()) ?? "", { timeout: 20_000 }).toContain(`Ln ${line},`);
    expect(await page.locator(".tab.active").first().textContent()).toContain("env.ts");
    await page.locator(".tab", { hasText: "AgentRL Inspector" }).click();
  });

  it("exports the run's trajectories as JSONL", async () => {
    await runCommand(page, "AgentRL: Export Trajectories");
    // Several runs exist later; here only the one-episode run does, so no run pick is asked.
    // VS Code's own save dialog (the simple one in code-server) opens prefilled with our suggested name.
    const input = page.locator(".quick-input-widget input");
    await expect.poll(() => input.inputValue().catch(() => ""), { timeout: 30_000 }).toMatch(/trajectories-[\w-]+\.jsonl$/);
    const target = path.join(workspace, "export.jsonl");
    await input.fill(target);
    await page.keyboard.press("Enter");
    // The file appears before its content is written: wait for the whole export, not the file.
    const linesOf = (): string[] => (fs.existsSync(target) ? fs.readFileSync(target, "utf8").trim().split("\n").filter(Boolean) : []);
    await expect.poll(() => linesOf().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    const lines = linesOf();
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!)).toMatchObject({ taskId: "calc-001" });
  });

  it("charts the run's metrics", async () => {
    const frame = inspector();
    await frame.locator('[data-testid="tab-metrics"]').click();
    await expect.poll(() => frame.locator('[data-testid="chart"] canvas').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // Legends name what is drawn, not the metric's key.
    expect(await frame.locator('[data-testid="chart"]').first().textContent()).toMatch(/mean reward/);
    const tiles = (await frame.locator('[data-testid="summary-tiles"]').textContent()) ?? "";
    expect(tiles).toMatch(/mean reward1\.000/);
    expect(tiles).toMatch(/zero-variance groups1 \/ 1/);
    await page.screenshot({ path: screenshotPath("06-metrics-light") });
  });

  it("forks the trajectory at turn 2 with a typed tool call: turn 1 replayed in a fresh sandbox, the branch scored beside the original", async () => {
    // After the export and the charts: a fork is a run of its own, and those two expect the one-episode run alone.
    const frame = inspector();
    await frame.locator('[data-testid="tab-trajectory"]').click();
    await frame.locator(".traj-row").first().click();
    // Open the fork panel on turn 2, and check that it is turn 2's: the panel says which turn it forks
    // (a stepper put back on turn 1 by a reload under the click would fork turn 1 instead).
    const position = frame.locator('[data-testid="turn-position"]');
    const forkAt = frame.getByText(/^Fork at turn \d+:/);
    for (let attempt = 1; ; attempt++) {
      if (!((await position.textContent()) ?? "").includes("Turn 2 / 2")) await frame.locator('[data-testid="next-turn"]').click();
      await expect.poll(() => position.textContent()).toContain("Turn 2 / 2");
      await frame.locator('[data-testid="fork-open"]').click();
      await forkAt.waitFor();
      if (((await forkAt.textContent()) ?? "").startsWith("Fork at turn 2:")) break;
      if (attempt >= 3) expect(await forkAt.textContent()).toMatch(/^Fork at turn 2:/);
      await frame.locator('[data-testid="fork-open"]').click(); // close it, step again
    }
    await frame.locator('[data-testid="fork-tool"]').selectOption("calculate");
    await frame.locator('[data-testid="fork-args"]').fill('{"expression": "92 * 12 + 1"}');
    await frame.locator('[data-testid="fork-submit"]').click();
    const score = frame.locator('[data-testid="fork-score"]');
    await score.waitFor({ timeout: 120_000 });
    // Typed a tool call instead of the answer: not correct, scored lower than the original's 1.000.
    expect(await score.textContent()).toMatch(/branch reward 0\.\d{3} \(correct 0\.00, .*\) vs original 1\.000/);
    expect(await frame.locator('[data-testid="fork-branch"]').textContent()).toContain("restored by replaying 1 recorded tool call in a fresh sandbox");
    const turns = frame.locator('[data-testid="fork-branch"] [data-testid="compare-turn"]');
    expect(await turns.nth(0).textContent()).toMatch(/Turn 1 same/);
    expect(await turns.nth(1).locator('[data-testid="compare-b"]').textContent()).toMatch(/calculate\(\{"expression":"92 \* 12 \+ 1"\}\)\s*← 1105/);
    await page.screenshot({ path: screenshotPath("07-fork-light") });
    await setTheme("Dark Modern");
    await page.screenshot({ path: screenshotPath("07-fork-dark") });
    await setTheme("Light Modern");
    await frame.locator('[data-testid="fork-open"]').click(); // close the branch again
  });

  it("runs Preflight from its CodeLens: do-nothing scores 0, reference solutions score high, lazy policies earn little", async () => {
    await page.locator(".tab", { hasText: "env.ts" }).first().click();
    await page.locator(".codelens-decoration a", { hasText: "Preflight" }).click();
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /AgentRL preflight (passed|FAILED)/ });
    // Seven short runs: noop, the reference and the five lazy policies.
    await toast.waitFor({ timeout: 280_000 });
    const text = (await toast.textContent()) ?? "";
    expect(text).toContain("preflight passed for calculator");
    expect(text).toMatch(/noop policy: mean reward 0\.000/);
    expect(text).toMatch(/reference solutions: mean reward 1\.000/);
    // The lazy policies ran too; right format with a wrong value earns only the format credit.
    expect(text).toMatch(/lazy:wrong-value: max reward 0\.100/);
    expect(text).toMatch(/lazy:every-tool: max reward 0\.000/);
  }, 300_000);

  it("editing a reward and using its CodeLens shows the changed scores", async () => {
    await page.locator(".tab", { hasText: "env.ts" }).first().click();
    // Lower the weight of "correct" from 0.7 to 0.5 the way a user would: find/replace in the editor, save.
    await page.keyboard.press("Control+H");
    await page.locator(".find-widget .find-part textarea, .find-widget .find-part input").first().fill("weight: 0.7");
    await page.locator(".find-widget .replace-part textarea, .find-widget .replace-part input").first().fill("weight: 0.5");
    await page.keyboard.press("Control+Alt+Enter");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+S");
    await expect.poll(() => fs.readFileSync(path.join(workspace, "calculator/env.ts"), "utf8"), { timeout: 10_000 }).toContain('exactMatch({ name: "correct", weight: 0.5 })');
    await page.locator(".codelens-decoration a", { hasText: "Score stored trajectories (correct)" }).click();
    const frame = inspector();
    const table = frame.locator('[data-testid="score-comparison"]');
    await table.waitFor({ timeout: 120_000 });
    // It scores the run open in the inspector (the one-episode run), not the later preflight runs.
    expect(await table.textContent()).toMatch(/4 of 4 trajectories changed · mean 1\.000 → 0\.800/);
    const rows = await frame.locator('[data-testid="score-row"]').allTextContents();
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r).toMatch(/1\.000\s*0\.800\s*-0\.200/);
    await page.screenshot({ path: screenshotPath("07-score-changes-light") });
  });

  it("compares two runs task by task: the preflight's do-nothing run against its reference run, flipped tasks listed, a task diffed turn by turn", async () => {
    await page.locator(".tab", { hasText: "AgentRL Inspector" }).first().click();
    const frame = inspector();
    // Opening Compare re-reads the runner's runs: the preflight's two runs are listed.
    await frame.locator('[data-testid="tab-compare"]').click();
    const picker = frame.locator("select.run-picker");
    const noop = await picker.locator("option", { hasText: "preflight noop" }).first().getAttribute("value");
    await picker.selectOption(noop!);
    const other = frame.locator('[data-testid="compare-with"]');
    const reference = await other.locator("option", { hasText: "preflight reference" }).first().getAttribute("value");
    await other.selectOption(reference!);
    const summary = frame.locator('[data-testid="compare-summary"]');
    await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toMatch(/\d+ shared tasks · mean reward 0\.000 → 1\.000 · \d+ gained · 0 lost/);
    const [, shared, gained] = /(\d+) shared tasks .* (\d+) gained/.exec((await summary.textContent()) ?? "")!;
    // Every task flipped: the do-nothing policy solves none, the reference solves all.
    expect(Number(gained)).toBe(Number(shared));
    expect(Number(shared)).toBeGreaterThan(1);
    const flips = await frame.locator('[data-testid="compare-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-flip")));
    expect(flips).toEqual(Array(Number(shared)).fill("gained"));
    await frame.locator('[data-testid="compare-row"]').first().click();
    const first = frame.locator('[data-testid="compare-turn"]').first();
    await first.waitFor({ timeout: 30_000 });
    expect(await first.textContent()).toMatch(/Turn 1 differs/);
    expect(await first.locator('[data-testid="compare-b"]').textContent()).toContain("calculate");
    await setTheme("Light Modern");
    await page.screenshot({ path: screenshotPath("08-compare-light") });
    await setTheme("Dark Modern");
    await page.screenshot({ path: screenshotPath("08-compare-dark") });
    await setTheme("Light Modern");
  });

  it("flags episodes stalled in a tool that sleeps past the threshold on the run, lists them live, and kills them from the panel", async () => {
    await openFile("stall/env.ts");
    const lens = page.locator(".codelens-decoration a", { hasText: "Run one episode" });
    // A freshly written env: its lenses come once the extension has loaded it (slow on a loaded machine).
    await lens.waitFor({ state: "visible", timeout: 90_000 });
    await lens.click();
    const frame = inspector();
    // Four samples wait in `sleep 240`; after 5 s without progress the run says so.
    const badge = frame.locator('[data-testid="stalled-badge"]');
    await expect.poll(() => badge.textContent(), { timeout: 120_000 }).toMatch(/4 stalled/);
    await badge.click();
    const rows = frame.locator('[data-testid="live-row"]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(4);
    for (const text of await rows.allTextContents()) expect(text).toMatch(/stall-1.*tool wait.*\d+ s.*stalled/);
    expect(await frame.locator('[data-testid="policy-health"]').textContent()).toMatch(/policy: ok/);
    await page.screenshot({ path: screenshotPath("09-live-episodes-light") });
    await setTheme("Dark Modern");
    await page.screenshot({ path: screenshotPath("09-live-episodes-dark") });
    await setTheme("Light Modern");
    // Kill one from the panel: it leaves the list at once, recorded as an infrastructure failure.
    await rows.first().locator('[data-testid="kill-episode"]').click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
    await expect.poll(() => badge.textContent()).toMatch(/3 stalled/);
    // The rest too; then the run ends on its own, its four trajectories listed as infra errors.
    for (let left = 3; left > 0; left--) {
      await rows.first().locator('[data-testid="kill-episode"]').click();
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(left - 1);
    }
    await frame.locator('[data-testid="run-status"]', { hasText: "finished" }).waitFor({ timeout: 60_000 });
    await expect.poll(() => frame.locator('[data-testid="traj-list"]').getAttribute("data-total"), { timeout: 30_000 }).toBe("4");
    expect(await frame.locator(".traj-row").allTextContents()).toEqual(Array(4).fill(expect.stringContaining("error")));
    expect(await badge.count()).toBe(0);
  });

  it("shows tasks.jsonl schema problems as diagnostics at the offending lines", async () => {
    await openFile("calculator/tasks-draft.jsonl");
    await runCommand(page, "View: Focus Problems");
    const problems = page.locator(".markers-panel");
    await expect.poll(async () => (await problems.textContent()) ?? "", { timeout: 20_000 }).toContain('Duplicate task id "d-1" (first on line 1)');
    const text = (await problems.textContent()) ?? "";
    expect(text).toMatch(/Line 3 is not valid JSON/);
    expect(text).toMatch(/\[Ln 2, Col \d+\]/);
    expect(text).toMatch(/\[Ln 3, Col 1\]/);
    await page.screenshot({ path: screenshotPath("08-diagnostics-light") });
  });

  it("launches a run through the quick-pick flow and lists it in the Runs view", async () => {
    await runCommand(page, "AgentRL: Launch Run");
    await pick("(1/3): runner", "Local (embedded)");
    await pick("(2/3): environment", "calculator");
    await pick("(3/3): algorithm", "Rollouts only");
    await pick("Rollouts (1/3)", "Reference solutions");
    await enter("Rollouts (2/3)", "2");
    await enter("Rollouts (3/3)", "3");
    const row = page.locator(".pane-body .monaco-list-row", { hasText: "calculator · rollouts only" });
    await expect.poll(async () => (await row.textContent()) ?? "", { timeout: 120_000 }).toMatch(/finished · 6 traj · reward 0\.800/);
  });

  it("launches a GRPO training run, follows it in the inspector with its curves, and opens a step's trajectories", async () => {
    await runCommand(page, "AgentRL: Launch Run");
    await pick("(1/3): runner", "Local (embedded)");
    await pick("(2/3): environment", "addition");
    await pick("(3/3): algorithm", "GRPO");
    await pick("GRPO (1/4)", "Model on the runner");
    await enter("Model (path or hub id on the runner)", tinyModel);
    await enter("GRPO (2/4)", "4");
    await enter("GRPO (3/4)", "2");
    await enter("GRPO (4/4)", "3");
    // The training run opens in the inspector, live, on its metrics.
    const frame = inspector();
    // The inspector switches from the run it showed to the training run, then follows it to the end.
    await frame.locator('[data-testid="train-steps"]').waitFor({ timeout: 60_000 });
    await frame.locator('[data-testid="run-status"]', { hasText: "finished" }).waitFor({ timeout: 240_000 });
    expect(await frame.locator(".run-picker").inputValue()).toMatch(/^train-/);
    await expect.poll(() => frame.locator('[data-testid="train-step"]').count(), { timeout: 30_000 }).toBe(3);
    await expect.poll(() => frame.locator('[data-testid="train-steps"]').textContent(), { timeout: 30_000 }).toContain("3 / 3 steps rolled out");
    const titles = await frame.locator('[data-testid="chart"] .chart-title').allTextContents();
    expect(titles).toEqual(expect.arrayContaining(["reward (mean and spread per component)", "training: loss", "training: kl", "training: entropy", "throughput"]));
    expect(await frame.locator('[data-testid="chart"] canvas').count()).toBe(titles.length);
    // The command exists only while the panel shows (an earlier check opens it).
    if (await page.locator("#workbench\\.parts\\.panel").isVisible()) await runCommand(page, "View: Hide Panel");
    await page.screenshot({ path: screenshotPath("10-training-run-light") });
    const row = page.locator(".pane-body .monaco-list-row", { hasText: "addition · grpo" });
    await expect.poll(async () => (await row.textContent()) ?? "", { timeout: 30_000 }).toMatch(/finished · training · 3\/3 steps/);
    // A step is a rollout run of its own: its 2 tasks × 4 samples are there to step through.
    await frame.locator('[data-testid="train-step"]', { hasText: "step 2" }).click();
    await expect.poll(() => frame.locator('[data-testid="traj-list"]').getAttribute("data-total"), { timeout: 30_000 }).toBe("8");
    await frame.locator('[data-testid="tab-group"]').click();
    await expect.poll(() => frame.locator('[data-testid="sample-card"]').count(), { timeout: 20_000 }).toBe(4);
    await page.screenshot({ path: screenshotPath("11-training-step-group-light") });
    // Give the keyboard back to the workbench: a quick pick opened while the webview holds focus can lose it.
    await page.locator(".tab", { hasText: "env.ts" }).first().click();
    // its own waits allow the run 240 s: the default 120 s cut it short on a loaded machine
  }, 400_000);

  it("shows the token lens on a trained run's turn, and the training run's sampler/trainer drift per step", async () => {
    await page.locator(".tab", { hasText: "AgentRL Inspector" }).first().click();
    const frame = inspector();
    // Step 2's rollout run is shown: its turns carry the tokens the policy being trained sampled.
    await frame.locator('[data-testid="tab-trajectory"]').click();
    await frame.locator(".traj-row").first().click();
    const lens = frame.locator('[data-testid="token-lens"]').first();
    await lens.waitFor({ timeout: 30_000 });
    // The step trained on them: the trainer's recomputed logprobs are stored beside the sampler's.
    expect(await lens.textContent()).toMatch(/token lens · \d+ tokens · coloured by \|sampler − trainer\| logprob/);
    expect(await lens.locator('[data-testid="lens-drift"]').textContent()).toMatch(/mean \|Δ\| \d\.\d{3} · max \d\.\d{3} · \d+ past/);
    expect(await lens.locator('[data-testid="lens-token"]').count()).toBeGreaterThan(0);
    await lens.locator('[data-testid="lens-token"]').first().click();
    const detail = (await frame.locator('[data-testid="lens-detail"]').first().textContent()) ?? "";
    const m = /sampler logprob(-?\d+\.\d{4}) \(p \d\.\d{3}\)trainer logprob(-?\d+\.\d{4}) \(p \d\.\d{3}\)difference([+-]\d+\.\d{4}).*advantage applied/.exec(detail);
    expect(m, detail).not.toBeNull();
    // The trainer is the sampler here (the built-in engine, the weights that sampled): they agree.
    const [sampler, trainer, diff] = [m?.[1], m?.[2], m?.[3]].map(Number);
    expect(Math.abs((sampler as number) - (trainer as number))).toBeLessThan(0.01);
    expect(Math.abs(diff as number)).toBeLessThan(0.01);
    // The picture shows the numbers: the detail table sits under the tokens, below the fold.
    await frame.locator('[data-testid="lens-detail"]').first().scrollIntoViewIfNeeded();
    // The keyboard back to the workbench: with the webview focused, the theme picker's keys went astray
    // and the "dark" picture came out light.
    await page.locator(".tab", { hasText: "AgentRL Inspector" }).first().click();
    await setTheme("Light Modern");
    await frame.locator("body.vscode-light").waitFor({ timeout: 20_000 });
    await frame.locator("body").evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
    await page.screenshot({ path: screenshotPath("12-token-lens-light") });
    await setTheme("Dark Modern");
    await frame.locator("body.vscode-dark").waitFor({ timeout: 20_000 });
    await page.screenshot({ path: screenshotPath("12-token-lens-dark") });
    await setTheme("Light Modern");
    // The training run itself: how far the trainer's recomputed logprobs were from the sampled ones,
    // per step (measured also on steps whose update is skipped: the tiny model's groups earn reward 0).
    const picker = frame.locator("select.run-picker");
    await picker.selectOption((await picker.locator("option", { hasText: "grpo" }).first().getAttribute("value"))!);
    await expect.poll(() => frame.locator('[data-testid="chart"] .chart-title').allTextContents(), { timeout: 30_000 }).toContain("sampler vs trainer logprob drift");
    const driftChart = frame.locator('[data-testid="chart"]', { hasText: "sampler vs trainer logprob drift" });
    expect(await driftChart.textContent()).toMatch(/mean \|sampler − trainer\| logprob/);
    expect(await driftChart.locator("canvas").count()).toBe(1);
    await page.screenshot({ path: screenshotPath("13-drift-chart-light") });
    await page.locator(".tab", { hasText: "env.ts" }).first().click();
  });

  it("scaffolds a new SWE environment that the Environments view finds", async () => {
    await runCommand(page, "AgentRL: New Environment");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "Software engineering (SWE)" }).click();
    const input = page.locator(".quick-input-widget input");
    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(2/2)" }).waitFor();
    await input.fill("bugfix-env");
    await page.keyboard.press("Enter");
    const created = path.join(workspace, "envs/bugfix-env/env.ts");
    await expect.poll(() => fs.existsSync(created), { timeout: 20_000 }).toBe(true);
    await page.locator(".monaco-breadcrumbs", { hasText: "bugfix-env" }).first().waitFor({ timeout: 20_000 });
    expect(fs.readFileSync(path.join(workspace, "envs/bugfix-env/env.ts"), "utf8")).toContain('kind: "swe"');
    expect(fs.existsSync(path.join(workspace, "envs/bugfix-env/tasks.jsonl"))).toBe(true);
    // The same scaffold as `agentrl init`: it type-checks on its own.
    expect(fs.existsSync(path.join(workspace, "envs/bugfix-env/tsconfig.json"))).toBe(true);
    expect(fs.existsSync(path.join(workspace, "envs/bugfix-env/types/agentrl-sdk/index.d.ts"))).toBe(true);
    const envsView = page.locator(".pane", { has: page.locator(".pane-header", { hasText: "Environments" }) });
    const envRow = envsView.locator('.monaco-list-row[aria-label*="bugfix-env"]');
    await envRow.waitFor({ state: "visible", timeout: 20_000 });
    expect(await envRow.textContent()).toContain("swe");
    await expect.poll(() => page.locator(".codelens-decoration a", { hasText: "Score stored trajectories (tests_pass)" }).count(), { timeout: 20_000 }).toBe(1);
  });

  it("env files type-check in the editor with no node_modules: examples and templates 0 problems, hover docs, SDK completions, a type error at its line", async () => {
    for (const rel of ["calculator/env.ts", "addition/env.ts", "swe-mini/env.ts", "gui-form/env.ts", "templates/tool/env.ts", "templates/swe/env.ts", "templates/gui/env.ts", "typecheck-draft/env.ts"]) await openFile(rel);
    await runCommand(page, "View: Focus Problems");
    const problems = page.locator(".markers-panel");
    await expect.poll(async () => (await problems.textContent()) ?? "", { timeout: 90_000 }).toMatch(/Type 'string' is not assignable[\s\S]*\[Ln 3, Col \d+\]/);
    // An earlier check left the find widget open, and it scrolls the editor under it: close it, go to the top.
    const closeFind = page.locator(".find-widget.visible .codicon-widget-close, .find-widget.visible .codicon-find-close");
    if (await closeFind.first().isVisible()) await closeFind.first().click();
    await page.locator(".monaco-editor .lines-content .view-line").first().click({ force: true });
    await page.keyboard.press("Control+Home");
    // Hover: the SDK's doc comment on finalAnswer, the way a user sees it (the mouse on the word).
    const token = (text: string) => page.locator(".view-lines .view-line span", { hasText: new RegExp(`^${text}$`) }).first();
    await token("finalAnswer").hover();
    await expect.poll(async () => (await page.locator(".monaco-hover").allTextContents()).join(" "), { timeout: 30_000 }).toContain("Content of the last assistant message");
    await page.screenshot({ path: screenshotPath("12-sdk-hover-light") });
    await page.keyboard.press("Escape");
    // Completion inside the SDK import's braces offers the graders.
    for (const [typed, name] of [["exa", "exactMatch"], ["jud", "judge"], ["rub", "rubric"]] as const) {
      // The import line's defineReward (the draft also calls defineReward further down).
      await page.locator(".view-lines .view-line", { hasText: "@agentrl/sdk" }).locator("span", { hasText: /^defineReward$/ }).first().click();
      await page.keyboard.press("Control+ArrowRight");
      await page.keyboard.type(`, ${typed}`);
      await page.keyboard.press("Control+Space");
      await expect.poll(async () => (await page.locator(".suggest-widget .monaco-list-row").allTextContents()).join(" "), { timeout: 30_000 }).toContain(name);
      if (name === "judge") await page.screenshot({ path: screenshotPath("13-sdk-completion-light") });
      await page.keyboard.press("Escape");
      // Back to the file as saved (backspacing the typed text raced the suggest widget in a full run).
      await runCommand(page, "File: Revert File");
    }
    // Each completion was typed into the editor and reverted: no editor is left with unsaved changes.
    await expect.poll(() => page.locator(".tab.dirty").count(), { timeout: 10_000 }).toBe(0);
    await page.keyboard.press("Control+S");
    // The completions typed above are gone again: their transient problem clears (tsserver re-checks
    // the reverted file; on a loaded machine that takes as long as the first check above).
    await expect.poll(async () => (await problems.textContent()) ?? "", { timeout: 90_000 }).not.toContain("has no exported member");
    // Only the draft's env.ts has problems: every example and template env.ts is clean (Problems lists a file only when it has some).
    await expect.poll(async () => ((await problems.textContent()) ?? "").match(/env\.ts/g)?.length ?? 0, { timeout: 30_000 }).toBe(1);
    expect((await problems.textContent()) ?? "").toMatch(/env\.ts\s*typecheck-draft/);
    await page.screenshot({ path: screenshotPath("14-typecheck-problems-light") });
  });

  it("Try on stored trajectories: a calculator reward shows its scores; a reward that throws shows the line", async () => {
    await openFile("calculator/env.ts");
    const envTs = path.join(workspace, "calculator/env.ts");
    const tryIt = async (reward: string): Promise<void> => {
      // Scroll the rewards (at the end of env.ts) into view: the editor renders only the lines on screen.
      const lens = page.locator(".codelens-decoration a", { hasText: `Try on stored trajectories (${reward})` });
      if (!(await lens.isVisible())) {
        await page.locator(".monaco-editor .lines-content .view-line").first().click({ force: true });
        await page.keyboard.press("Control+End");
      }
      await lens.click({ timeout: 30_000 });
      await pick("(1/2): run", "run-");
      await pick("(2/2): which", "All trajectories");
    };
    await tryIt("correct");
    await runCommand(page, "View: Focus Problems");
    await expect.poll(async () => (await page.locator(".markers-panel").textContent()) ?? "", { timeout: 120_000 }).toMatch(/correct on \d+ trajector(y|ies) of run-[\w-]+: mean \d\.\d{3} · min \d\.\d{3} · max \d\.\d{3}/);
    await page.screenshot({ path: screenshotPath("15-try-reward-light") });
    // A draft reward that throws: the error lands on the line that threw, in the editor and in Problems.
    const draft = '    defineReward({ name: "draft", score: (ctx) => {\n      if (ctx.finalAnswer.length >= 0) throw new Error("draft reward bug");\n      return 1;\n    } }),\n';
    fs.writeFileSync(envTs, fs.readFileSync(envTs, "utf8").replace("import { defineEnvironment,", "import { defineReward, defineEnvironment,").replace("  rewards: [\n", `  rewards: [\n${draft}`));
    const throwLine = fs.readFileSync(envTs, "utf8").split("\n").findIndex((l) => l.includes("draft reward bug")) + 1;
    await tryIt("draft");
    await expect.poll(async () => (await page.locator(".markers-panel").textContent()) ?? "", { timeout: 120_000 }).toMatch(/reward "draft" threw on \d+ of \d+ trajectories: draft reward bug/);
    expect((await page.locator(".markers-panel").textContent()) ?? "").toMatch(new RegExp(`draft reward bug.*\\[Ln ${throwLine}, Col \\d+\\]`));
    await page.screenshot({ path: screenshotPath("16-try-reward-error-light") });
  });

  it("connects a remote runner by URL and token, refusing a wrong token", async () => {
    const token = "remote-token-0123456789abcdef";
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-e2e-remote-"));
    const remote: ChildProcess = spawn(process.execPath, [path.join(repoRoot, "remote-runner/dist/cli.js"), "serve", "--host", "127.0.0.1", "--port", "0", "--quiet"], { env: { ...process.env, AGENTRL_HOME: home, AGENTRL_TOKEN: token }, stdio: ["ignore", "pipe", "ignore"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        remote.stdout!.on("data", (d) => {
          out += String(d);
          const m = /"url":"([^"]+)"/.exec(out);
          if (m) resolve(m[1]!);
        });
        remote.once("exit", (c) => reject(new Error(`remote runner exited with ${c}`)));
      });
      const connect = async (tok: string): Promise<void> => {
        await runCommand(page, "AgentRL: Connect Runner");
        const input = page.locator(".quick-input-widget input");
        for (const [step, value] of [["(1/3)", url], ["(2/3)", tok], ["(3/3)", "gpu-box"]] as const) {
          await page.locator(".quick-input-widget .quick-input-title", { hasText: step }).waitFor({ state: "visible" });
          await input.fill(value);
          await page.keyboard.press("Enter");
        }
      };
      await connect("wrong-token-0123456789abcdef");
      await page.locator(".notifications-toasts", { hasText: "wrong bearer token" }).waitFor({ timeout: 20_000 });
      await connect(token);
      const row = page.locator(".pane-body .monaco-list-row", { hasText: "gpu-box" });
      await expect.poll(async () => (await row.textContent()) ?? "", { timeout: 20_000 }).toContain(`${url} · active`);
      // The token went to SecretStorage, not to settings.
      const settings = fs.readFileSync(path.join(server.userDataDir, "User", "settings.json"), "utf8");
      expect(settings).toContain(url);
      expect(settings).not.toContain(token);
      await page.screenshot({ path: screenshotPath("09-remote-runner-light") });
    } finally {
      remote.kill("SIGTERM");
    }
  });
});
