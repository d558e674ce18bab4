import fs from "node:fs";
import path from "node:path";

import type { Computer13Action } from "./computer13.js";
import { Desktop, type DesktopReply, type DesktopSandbox } from "./desktop.js";
import { evaluateOSWorld, type Evaluation } from "./evaluator.js";
import type { OSWorldTask } from "./osworld-task.js";
import { runSetupSteps } from "./setup-steps.js";
import { insideEnv } from "../../confine.js";

export const DEFAULT_SCREEN = { width: 1024, height: 768 };

/** The desktop user's home, as OSWorld's VM has it (the image keeps /home/agent as a link to it). */
export const GUI_HOME = "/home/user";

/**
 * The local files `download` setup steps read (sandboxes have no network): URL → file, relative to
 * the env folder. A file that is not there is reported at load by the kind, naming the URL.
 */
export function readDownloads(envDir: string, map: Record<string, string> | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [url, rel] of Object.entries(map ?? {})) {
    const file = insideEnv(envDir, rel, "options.downloads");
    if (!fs.existsSync(file)) throw new Error(`gui.downloads maps ${url} to ${rel}, which does not exist in ${envDir}. Fix: put the file there or correct the path`);
    out.set(url, fs.readFileSync(file));
  }
  return out;
}

/** Every file under `dir` (relative paths), to put into the sandbox's home before setup. */
export function readFilesDir(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (!fs.existsSync(dir)) return out;
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name === "__pycache__") continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out[r] = fs.readFileSync(path.join(dir, r));
    }
  };
  walk("");
  return out;
}

/**
 * One GUI episode's desktop: started, the env's files put in place and the task's `config` steps
 * run; then actions, and at the end the OSWorld evaluator.
 */
export class GuiSession {
  lastAction: string | null = null;
  readonly actions: Computer13Action[] = [];

  private constructor(
    readonly desktop: Desktop,
    readonly task: OSWorldTask,
    private readonly downloads: Map<string, Uint8Array> | undefined,
  ) {}

  static async open(
    sandbox: DesktopSandbox,
    task: OSWorldTask,
    opts: { files?: Record<string, Uint8Array>; downloads?: Map<string, Uint8Array>; windowManager?: boolean; stepTimeoutMs?: number; accessibilityTree?: boolean } = {},
  ): Promise<GuiSession> {
    const desktop = new Desktop(sandbox, task.screen ?? DEFAULT_SCREEN, { windowManager: opts.windowManager, stepTimeoutMs: opts.stepTimeoutMs, accessibilityTree: opts.accessibilityTree });
    if (opts.files && Object.keys(opts.files).length) await sandbox.writeDir(GUI_HOME, opts.files);
    await desktop.start();
    await runSetupSteps(task.config, desktop, `task "${task.id}"`, { downloads: opts.downloads });
    return new GuiSession(desktop, task, opts.downloads);
  }

  async act(action: Computer13Action): Promise<DesktopReply> {
    this.actions.push(action);
    this.lastAction = action.action_type;
    return this.desktop.act(action);
  }

  observe(): Promise<DesktopReply> {
    return this.desktop.observe();
  }

  evaluate(): Promise<Evaluation> {
    return evaluateOSWorld(this.task, this.desktop, this.lastAction, this.downloads);
  }
}
