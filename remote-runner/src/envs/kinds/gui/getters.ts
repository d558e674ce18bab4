import type { Desktop } from "./desktop.js";
import { renderA11y } from "./desktop.js";
import type { Getter } from "./osworld-task.js";

export interface GetterContext {
  desktop: Desktop;
}

export type GetterFn = (g: Getter, ctx: GetterContext) => Promise<unknown>;

function need(g: Getter, key: string): string {
  const v = g[key];
  if (typeof v !== "string" || !v) throw new Error(`getter "${g.type}" needs a string "${key}"`);
  return v;
}

/**
 * OSWorld's result/expected getters that make sense in a container desktop. `vm_file` returns the
 * file's text (OSWorld returns a local copy's path; the metrics here read the text directly).
 */
export const GETTERS: Record<string, GetterFn> = {
  vm_file: async (g, { desktop }) => {
    try {
      return (await desktop.sandbox.readFile(need(g, "path"))).toString("utf8");
    } catch {
      return null; // a file that does not exist scores 0, as in OSWorld
    }
  },
  vm_command_line: async (g, { desktop }) => {
    const command = g.command;
    const argv = Array.isArray(command) ? command.map(String) : typeof command === "string" ? (g.shell === false ? command.split(" ") : command) : null;
    if (argv === null) throw new Error('getter "vm_command_line" needs "command" (a string or a list)');
    const r = await desktop.sandbox.exec({ cmd: argv, env: { DISPLAY: ":0" }, timeoutMs: 30_000 });
    return r.stdout;
  },
  vm_command_error: async (g, { desktop }) => {
    const command = g.command;
    const r = await desktop.sandbox.exec({ cmd: Array.isArray(command) ? command.map(String) : String(command), env: { DISPLAY: ":0" }, timeoutMs: 30_000 });
    return r.stderr;
  },
  accessibility_tree: async (_g, { desktop }) => renderA11y((await desktop.observe()).a11y, 10_000),
  vm_screen_size: async (_g, { desktop }) => ({ width: desktop.screen.width, height: desktop.screen.height }),
  rule: async (g) => g.rules ?? {},
};
