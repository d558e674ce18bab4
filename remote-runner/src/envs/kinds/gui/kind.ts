import type { GuiOptions } from "@agentrl/sdk";
import type { BlobRef } from "@agentrl/protocol";
import { defineTool, type AnyTool, type SandboxHandle, type ToolOutput } from "@agentrl/sdk";
import { ensureGuiImage } from "./image.js";
import type { ProgressFn } from "../../../images/progress.js";
import { insideEnv } from "../../confine.js";
import type { EnvKind, KindSandbox, ScoringKindInstance } from "../types.js";
import { ACTION_TYPES, computer13Tools, type Computer13Action } from "./computer13.js";
import { renderA11y, type DesktopReply, type DesktopSandbox } from "./desktop.js";
import type { Evaluation } from "./evaluator.js";
import { osworldTaskIssues, validateOSWorldTask } from "./osworld-task.js";
import { DEFAULT_SCREEN, GUI_HOME, GuiSession, readDownloads, readFilesDir } from "./session.js";

/** Options of a `kind: "gui"` environment: the SDK's type, the one definition. */
export type GuiEnvOptions = GuiOptions;

function desktopSandbox(ep: KindSandbox): DesktopSandbox {
  return {
    exec: (req) => ep.use((sb) => sb.exec(req)),
    unixRequest: (p, data, timeoutMs) => ep.use((sb) => sb.unixRequest(p, data, timeoutMs)),
    readFile: (p) => ep.use((sb) => sb.readFile(p)),
    writeFile: (p, data, mode) => ep.use((sb) => sb.writeFile(p, data, mode)),
    writeDir: (d, files) => ep.use((sb) => sb.writeDir(d, files)),
  };
}

/** What the policy reads after an action: what happened, then the screen as text. */
function describe(reply: DesktopReply, withTree: boolean): string {
  const lines: string[] = [];
  lines.push(reply.error ? `Error: ${reply.error}` : reply.changed ? "OK. The screen changed." : "OK. The screen did not change.");
  for (const n of reply.notes) lines.push(`Note: ${n}.`);
  if (withTree && reply.a11y.length) lines.push("Accessibility tree:", renderA11y(reply.a11y));
  return lines.join("\n");
}

/**
 * The `gui` kind: every episode gets a desktop (Xvfb, window manager, the env's apps), the task's
 * OSWorld `config` steps, computer_13 actions as tools (each answered with a screenshot and the
 * accessibility tree), and the OSWorld evaluator as the score.
 */
export function guiKind(env: { dir: string; options?: GuiEnvOptions; progress?: ProgressFn }): ScoringKindInstance<Evaluation> {
  const sessions = new WeakMap<SandboxHandle, GuiSession>();
  const withTree = env.options?.accessibilityTree !== false;
  const files = readFilesDir(insideEnv(env.dir, env.options?.files ?? "files", "options.files"));
  const downloads = readDownloads(env.dir, env.options?.downloads);
  const apps = env.options?.image === "apps";
  let image: Promise<string> | null = null;
  const session = (sandbox: SandboxHandle): GuiSession => {
    const s = sessions.get(sandbox);
    if (!s) throw new Error("the desktop of this episode is not running (its setup failed)");
    return s;
  };
  const tools: AnyTool[] = computer13Tools(DEFAULT_SCREEN).map((spec, i) => {
    const actionType = ACTION_TYPES[i] as Computer13Action["action_type"];
    return defineTool<Record<string, unknown>>({
      name: spec.name,
      description: spec.description,
      parameters: spec.parameters,
      run: async (args, ctx): Promise<ToolOutput> => {
        const reply = await session(ctx.sandbox).act({ ...args, action_type: actionType } as Computer13Action);
        const images = reply.screenshot.length ? [{ data: reply.screenshot, mime: "image/png" }] : [];
        if (actionType === "DONE" || actionType === "FAIL") return { output: describe(reply, false), done: true, answer: actionType, images };
        return { output: describe(reply, withTree), images };
      },
    });
  });
  return {
    tools,
    async sandboxSpec(task, base) {
      validateOSWorldTask(task, "task");
      image ??= ensureGuiImage({ progress: env.progress, variant: apps ? "apps" : "desktop" });
      // Browsers and office suites run many threads and need more memory than the Tk apps.
      const limits = apps ? { memoryBytes: 2048 * 2 ** 20, pids: 1024 } : { memoryBytes: 1024 * 2 ** 20 };
      return { ...base, image: await image, workdir: GUI_HOME, env: { ...base.env, HOME: GUI_HOME }, limits: { ...limits, ...base.limits } };
    },
    async setup({ task, sandbox }) {
      const osTask = validateOSWorldTask(task, "task");
      const s = await GuiSession.open(desktopSandbox(sandbox), osTask, { files, downloads, windowManager: env.options?.windowManager, accessibilityTree: withTree });
      sessions.set(sandbox, s);
      const first = await s.observe();
      return {
        text: `The screen is ${s.desktop.screen.width}x${s.desktop.screen.height}.${withTree && first.a11y.length ? `\nAccessibility tree:\n${renderA11y(first.a11y)}` : ""}`,
        images: first.screenshot.length ? [{ data: first.screenshot, mime: "image/png" }] : [],
      };
    },
    // OSWorld evaluators read the live desktop (open apps, their state): the session must survive until they ran.
    scoresLiveSession: true,
    async finish({ sandbox, putBlob }) {
      const s = session(sandbox);
      const t0 = performance.now();
      const evaluation = await s.evaluate();
      const final = await s.observe();
      const artifacts: Record<string, BlobRef> = final.screenshot.length ? { final_screenshot: putBlob(final.screenshot, "image/png") } : {};
      const components: Record<string, number> = { osworld: evaluation.score };
      const weights: Record<string, number> = { osworld: 1 };
      for (const [k, v] of Object.entries(evaluation.metrics)) {
        components[`metric:${k}`] = v;
        weights[`metric:${k}`] = 0;
      }
      return {
        reward: { total: evaluation.score, components, weights, errors: [], durationMs: performance.now() - t0 },
        artifacts,
        score: evaluation,
      };
    },
  };
}

/** The registry entry: tasks are OSWorld tasks (checked at load), options come from the definition's `gui` field. */
export const GUI_KIND: EnvKind<Evaluation> = {
  name: "gui",
  taskIssues: osworldTaskIssues,
  create: ({ dir, def, progress }) => guiKind({ dir, options: def.kind === "gui" ? def.gui : undefined, progress }),
};
