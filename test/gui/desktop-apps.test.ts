// examples/desktop-apps (21 tasks in OSWorld's published form over xterm, Mousepad, Chromium and
// LibreOffice) through the real CLI, rollout engine, Docker desktops of the apps image and store:
// the reference solves every task, the noop policy scores 0 on every task, and a task whose setup
// step fails is an environment error while the rest of the run goes on. The two runs go
// concurrently, on one image, so the suite pays for the applications' start-up once per task and policy.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureGuiImage } from "../../remote-runner/src/envs/kinds/gui/image.js";
import { openStore } from "../../remote-runner/src/store/store.js";
import { lastJsonLine, REPO_ROOT, runAgentrl } from "../helpers/cli.js";

const EXAMPLE = path.join(REPO_ROOT, "examples/desktop-apps");
const homes = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-desktop-apps-")));
const copy = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-desktop-apps-env-"));
const tasks = fs.readFileSync(path.join(EXAMPLE, "tasks.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; related_apps: string[]; config: unknown[] });
const FAILING = "5b0bbe0e-9a3f-4f60-b1d2-4c5d6e7f8a16";

interface Summary {
  trajectories: number;
  errors: number;
  mean_reward: number;
  run_id: string;
}

function trajectories(home: string, runId: string) {
  const store = openStore(home);
  try {
    return store.queryTrajectories({ runId, offset: 0, limit: 100 }).items.map((i) => store.getTrajectory(i.id));
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  // The apps image (Chromium, LibreOffice, ...) is built once and cached by content; the CLI runs reuse it.
  await ensureGuiImage({ variant: "apps" });
  // The example unchanged, plus one task whose setup step fails (a file it copies is missing).
  fs.cpSync(EXAMPLE, copy, { recursive: true });
  const failing = {
    id: FAILING,
    snapshot: "libreoffice_calc",
    instruction: "Open the quarterly figures copied to the Desktop.",
    source: "a broken task for this test",
    config: [{ type: "execute", parameters: { command: "python -c \"import shutil; shutil.copy('/home/user/Documents/q3.xlsx', '/home/user/Desktop/')\"", shell: true } }],
    evaluator: { func: "compare_table", result: { type: "vm_file", path: "/home/user/Desktop/q3.xlsx", dest: "q3.xlsx" }, options: { rules: [] } },
  };
  fs.appendFileSync(path.join(copy, "tasks.jsonl"), `${JSON.stringify(failing)}\n`);
}, 900_000);

afterAll(() => {
  for (const d of [...homes, copy]) fs.rmSync(d, { recursive: true, force: true });
});

describe("desktop-apps: OSWorld-style tasks over real applications", () => {
  it("has at least 20 tasks in OSWorld's published style over the terminal, a text editor, Chromium, LibreOffice Calc and Writer", () => {
    expect(tasks.length).toBeGreaterThanOrEqual(20);
    const text = JSON.stringify(tasks);
    for (const t of tasks) expect(t.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(text).toContain("/home/user/");
    expect(text).toContain('import pyautogui; pyautogui.click');
    expect(text).toMatch(/"shell": ?true/);
    const apps = new Set(tasks.flatMap((t) => t.related_apps));
    for (const app of ["terminal", "mousepad", "chrome", "libreoffice_calc", "libreoffice_writer"]) expect(apps.has(app), app).toBe(true);
  });

  it("the reference solves every task and noop scores 0 on every task; a failing setup step is an environment error and the run goes on", async () => {
    const [ref, noop] = await Promise.all([
      runAgentrl(homes[0] as string, ["rollout", EXAMPLE, "--policy", `scripted:${path.join(EXAMPLE, "reference.jsonl")}`, "--concurrency", "3", "--json"]),
      runAgentrl(homes[1] as string, ["rollout", copy, "--policy", "noop", "--concurrency", "3", "--json"]),
    ]);
    expect(ref.code, ref.stderr.slice(-3000)).toBe(0);
    expect(noop.code, noop.stderr.slice(-3000)).toBe(0);

    const refRows = trajectories(homes[0] as string, lastJsonLine<Summary>(ref.stdout).run_id);
    expect(refRows).toHaveLength(tasks.length);
    const unsolved = refRows.filter((t) => t?.reward.total !== 1).map((t) => `${t?.taskId}: ${t?.status} ${t?.reward.total} ${t?.error?.message ?? ""}`);
    expect(unsolved, "tasks the reference did not solve").toEqual([]);

    const noopRows = trajectories(homes[1] as string, lastJsonLine<Summary>(noop.stdout).run_id);
    expect(noopRows).toHaveLength(tasks.length + 1);
    const scored = noopRows.filter((t) => t?.taskId !== FAILING);
    expect(scored.filter((t) => t?.status !== "finished").map((t) => `${t?.taskId}: ${t?.status} ${t?.error?.message ?? ""}`)).toEqual([]);
    expect(scored.filter((t) => t?.reward.total !== 0).map((t) => t?.taskId), "tasks noop scored").toEqual([]);
    const broken = noopRows.find((t) => t?.taskId === FAILING);
    expect(broken?.status).toBe("env_error");
    expect(broken?.error?.kind).toBe("environment");
    expect(broken?.error?.message).toMatch(new RegExp(`task "${FAILING}": config\\[0\\] \\(execute\\) failed: exited 1: [\\s\\S]*FileNotFoundError`));

    // Observations carry the applications' accessibility trees, read through AT-SPI.
    const text = (id: string) => JSON.stringify(refRows.find((t) => t?.taskId === id)?.turns.flatMap((u) => u.observations.map((o) => o.content)));
    expect(text(tasks.find((t) => t.related_apps.includes("chrome"))?.id as string)).toMatch(/entry \\"Address and search bar\\"/);
    expect(text(tasks.find((t) => t.related_apps.includes("mousepad"))?.id as string)).toMatch(/menu \\"File\\"/);
  }, 1_200_000);
});
