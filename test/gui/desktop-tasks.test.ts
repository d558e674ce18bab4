import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureGuiImage } from "../../remote-runner/src/envs/kinds/gui/image.js";
import { actionTypeOfTool, type Computer13Action } from "../../remote-runner/src/envs/kinds/gui/computer13.js";
import { renderA11y } from "../../remote-runner/src/envs/kinds/gui/desktop.js";
import { OSWorldTaskError, validateOSWorldTask, type OSWorldTask } from "../../remote-runner/src/envs/kinds/gui/osworld-task.js";
import { guiKind } from "../../remote-runner/src/envs/kinds/gui/kind.js";
import { GuiSession, readFilesDir } from "../../remote-runner/src/envs/kinds/gui/session.js";
import { SetupStepError } from "../../remote-runner/src/envs/kinds/gui/setup-steps.js";
import type { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { Sandbox } from "../../remote-runner/src/sandbox/types.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

const example = path.join(__dirname, "../../examples/gui-form");
const tasks = new Map(
  fs.readFileSync(path.join(example, "tasks.jsonl"), "utf8").trim().split("\n").map((l) => {
    const t = validateOSWorldTask(JSON.parse(l));
    return [t.id, t] as const;
  }),
);
const reference = new Map(
  fs.readFileSync(path.join(example, "reference.jsonl"), "utf8").trim().split("\n").map((l) => {
    const e = JSON.parse(l) as { task_id: string; turns: { tool_calls: { name: string; arguments: Record<string, unknown> }[] }[] };
    const actions = e.turns.flatMap((t) => t.tool_calls.map((c) => ({ ...c.arguments, action_type: actionTypeOfTool(c.name) }) as Computer13Action));
    return [e.task_id, actions] as const;
  }),
);
const files = readFilesDir(path.join(example, "files"));

let provider: DockerSandboxProvider;
let image: string;
const boxes: Sandbox[] = [];

async function session(task: OSWorldTask): Promise<GuiSession> {
  const sb = await provider.create({ image, limits: { memoryBytes: 1024 * 2 ** 20 } });
  boxes.push(sb);
  return GuiSession.open(sb, task, { files });
}

beforeAll(async () => {
  ({ provider } = await sandboxEnv());
  image = await ensureGuiImage();
});

afterAll(async () => {
  await Promise.all(boxes.map((b) => b.destroy()));
});

describe("GUI desktop and OSWorld tasks", () => {
  it("the reference actions solve form, editor and settings tasks; nothing done scores 0", async () => {
    for (const id of ["form-full", "form-country", "editor-menu-save", "settings-language", "form-submit-only"]) {
      const task = tasks.get(id) as OSWorldTask;
      const noop = await session(task);
      expect((await noop.evaluate()).score, `${id} untouched`).toBe(0);
      const s = await session(task);
      for (const a of reference.get(id) ?? []) {
        const r = await s.act(a);
        expect(r.error, `${id} ${a.action_type}`).toBeNull();
      }
      expect((await s.evaluate()).score, id).toBe(1);
    }
  });

  it("shows the screen and the accessibility tree after every action", async () => {
    const s = await session(tasks.get("form-name") as OSWorldTask);
    const first = await s.observe();
    expect(first.screenshot.subarray(1, 4).toString()).toBe("PNG");
    const tree = renderA11y(first.a11y);
    expect(tree).toContain('window "Registration"');
    expect(tree).toMatch(/push button "Submit" @\(\d+,\d+\)/);
    const typed = await s.act({ action_type: "CLICK", x: 287, y: 86 });
    expect(typed.error).toBeNull();
    const r = await s.act({ action_type: "TYPING", text: "Ada" });
    expect(r.changed).toBe(true);
    expect(renderA11y(r.a11y)).toContain('text "Name" value="Ada"');
  });

  it("turns out-of-screen coordinates, unknown keys and malformed actions into observations", async () => {
    const s = await session(tasks.get("form-name") as OSWorldTask);
    expect((await s.act({ action_type: "CLICK", x: 5000, y: 10 })).error).toMatch(/outside the screen: x must be in 0\.\.1023/);
    expect((await s.act({ action_type: "PRESS", key: "hyperspace" })).error).toMatch(/unknown key 'hyperspace'; known keys: enter/);
    expect((await s.act({ action_type: "HOTKEY", keys: [] as string[] })).error).toMatch(/HOTKEY needs a list of keys/);
    expect((await s.act({ action_type: "TYPING" })).error).toMatch(/TYPING needs a non-empty text/);
    // The desktop is still fine afterwards.
    expect((await s.act({ action_type: "MOVE_TO", x: 10, y: 10 })).error).toBeNull();
  });

  it("reports a crashing application and an action on a frozen screen, and the episode goes on", async () => {
    const s = await session(tasks.get("form-name") as OSWorldTask);
    await s.desktop.sandbox.exec({ cmd: ["pkill", "-STOP", "-f", "^python3 apps/form.py"] });
    const frozen = await s.act({ action_type: "CLICK", x: 287, y: 86 });
    expect(frozen.error).toBeNull();
    expect(frozen.changed).toBe(false);
    await s.desktop.sandbox.exec({ cmd: ["pkill", "-KILL", "-f", "^python3 apps/form.py"] });
    const after = await s.act({ action_type: "MOVE_TO", x: 20, y: 20 });
    expect(after.notes.join(" ")).toMatch(/application '.*' exited with code -9/);
    expect(after.apps.some((a) => !a.running)).toBe(true);
    expect((await s.evaluate()).score).toBe(0);
  });

  it("names a setup step that fails, and an unsupported metric or getter with the supported ones", async () => {
    const broken = validateOSWorldTask({ id: "bad-setup", instruction: "x", config: [{ type: "execute", parameters: { command: "exit 4", shell: true } }], evaluator: { func: "infeasible" } });
    const err = await session(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetupStepError);
    expect((err as Error).message).toMatch(/task "bad-setup": config\[0\] \(execute\) failed: exited 4/);
    expect(() => validateOSWorldTask({ id: "t", instruction: "x", config: [], evaluator: { func: "compare_pptx_files" } })).toThrow(
      /evaluator.func "compare_pptx_files" is not supported; supported metrics: infeasible, exact_match/,
    );
    expect(() => validateOSWorldTask({ id: "t", instruction: "x", config: [], evaluator: { func: "exact_match", result: { type: "vm_window_size" } } })).toThrow(
      /getter "vm_window_size" is not supported; supported getters: vm_file/,
    );
    expect(() => validateOSWorldTask({ id: "t", instruction: "x", config: [{ type: "download", parameters: {} }], evaluator: { func: "infeasible" } })).toThrow(OSWorldTaskError);
  });

  it("runs a task in OSWorld's published JSON form unchanged", async () => {
    // Shaped like a task file of OSWorld's evaluation_examples: no AgentRL-only fields.
    const published = {
      id: "5a1f0a53-osworld-form",
      snapshot: "os",
      instruction: "Open the notes file in the editor, add the word there after hi, and save it.",
      source: "authored in OSWorld's format for this test",
      trajectory: "trajectories/",
      config: [
        { type: "execute", parameters: { command: ["python3", "-c", "open('/home/agent/notes.txt','w').write('hi')"] } },
        { type: "launch", parameters: { command: ["python3", "apps/editor.py", "/home/agent/notes.txt"] } },
        { type: "sleep", parameters: { seconds: 1 } },
      ],
      related_apps: ["os"],
      evaluator: {
        func: ["check_include_exclude", "exact_match"],
        conj: "and",
        result: [
          { type: "vm_command_line", command: "cat /home/agent/notes.txt", shell: true },
          { type: "vm_file", path: "/home/agent/notes.txt" },
        ],
        expected: [
          { type: "rule", rules: { include: ["hi there"], exclude: ["hithere"] } },
          { type: "rule", rules: { expected: "hi there" } },
        ],
      },
    };
    const task = validateOSWorldTask(JSON.parse(JSON.stringify(published)));
    const untouched = await session(task);
    expect((await untouched.evaluate()).score).toBe(0);
    const s = await session(task);
    for (const a of [
      { action_type: "CLICK", x: 344, y: 301 },
      { action_type: "HOTKEY", keys: ["ctrl", "end"] },
      { action_type: "TYPING", text: " there" },
      { action_type: "HOTKEY", keys: ["ctrl", "s"] },
      { action_type: "DONE" },
    ] as Computer13Action[]) {
      expect((await s.act(a)).error).toBeNull();
    }
    const ev = await s.evaluate();
    expect(ev.metrics).toEqual({ "0:check_include_exclude": 1, "1:exact_match": 1 });
    expect(ev.score).toBe(1);
  });

  it("OSWorld's VM conventions: /home/user (and the old /home/agent), python, string and list commands, until, download from a local map", async () => {
    const published = {
      id: "0b8a8c0e-4f5d-4d0e-9a51-3c2f3b8f7e11",
      snapshot: "os",
      instruction: "The setup leaves a report on the Desktop.",
      source: "authored in OSWorld's format for this test",
      config: [
        { type: "download", parameters: { files: [{ url: "https://example.com/data/sales.csv", path: "/home/user/Downloads/sales.csv" }] } },
        { type: "execute", parameters: { command: "python -c \"import os; open('/home/user/Desktop/home.txt','w').write(os.environ['HOME'])\"", shell: true } },
        { type: "execute", parameters: { command: ["python", "-c", "import shutil; shutil.copy('/home/agent/Downloads/sales.csv', '/home/user/Documents/copy.csv')"] } },
        { type: "command", parameters: { command: "test -f /home/user/Documents/copy.csv && echo ready", shell: true, until: { returncode: 0, stdout: "ready" } } },
        { type: "execute", parameters: { command: "python -c \"import pyautogui; pyautogui.moveTo(321, 234)\"", shell: true } },
      ],
      evaluator: {
        func: ["exact_match", "exact_match", "check_include_exclude"],
        conj: "and",
        result: [
          { type: "vm_file", path: "/home/user/Desktop/home.txt" },
          { type: "vm_command_line", command: "cat /home/agent/Documents/copy.csv", shell: true },
          { type: "vm_command_line", command: "python -c \"import pyautogui; p = pyautogui.position(); print(p.x, p.y, pyautogui.size())\"", shell: true },
        ],
        expected: [
          { type: "rule", rules: { expected: "/home/user" } },
          { type: "rule", rules: { expected: "region,amount\nnorth,3\n" } },
          { type: "rule", rules: { include: ["321 234 Size(width=1024, height=768)"], exclude: [] } },
        ],
      },
    };
    const task = validateOSWorldTask(JSON.parse(JSON.stringify(published)));
    // The sandbox exactly as the gui kind asks for it (image, home, workdir, limits).
    const spec = await guiKind({ dir: example }).sandboxSpec(task, { image: "unused" });
    const sb = await provider.create(spec);
    boxes.push(sb);
    const downloads = new Map([["https://example.com/data/sales.csv", Buffer.from("region,amount\nnorth,3\n")]]);
    const s = await GuiSession.open(sb, task, { files, downloads });
    const ev = await s.evaluate();
    expect(ev.score, JSON.stringify(ev)).toBe(1);

    const missing = validateOSWorldTask({ ...published, id: "missing-url", config: [{ type: "download", parameters: { files: [{ url: "https://example.com/not-mapped.xlsx", path: "/home/user/x.xlsx" }] } }] });
    const err = await GuiSession.open(await provider.create({ image, limits: { memoryBytes: 1024 * 2 ** 20 } }).then((b) => (boxes.push(b), b)), missing, { files, downloads }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetupStepError);
    expect((err as Error).message).toMatch(/task "missing-url": config\[0\] \(download\) failed: no local file for https:\/\/example\.com\/not-mapped\.xlsx .*Fix: add/);
    const never = validateOSWorldTask({ ...published, id: "never-ready", config: [{ type: "execute", parameters: { command: "echo no", shell: true, until: { stdout: "yes" } } }] });
    const err2 = await GuiSession.open(await provider.create({ image, limits: { memoryBytes: 1024 * 2 ** 20 } }).then((b) => (boxes.push(b), b)), never, { files }).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/task "never-ready": config\[0\] \(execute\) failed: did not reach \{"stdout":"yes"\} after 20 tries/);
  }, 240_000);

  it("scores an infeasible task only when the agent says FAIL", async () => {
    const task = tasks.get("form-infeasible") as OSWorldTask;
    const s = await session(task);
    expect((await s.evaluate()).score).toBe(0);
    await s.act({ action_type: "FAIL" });
    expect((await s.evaluate()).score).toBe(1);
  });
});
