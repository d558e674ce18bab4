import type { Desktop } from "./desktop.js";
import { renderA11y } from "./desktop.js";
import { FileValue, type TableReader } from "./files.js";
import { BROWSER_GETTERS } from "./browser.js";
import { commandArgv, type Getter } from "./osworld-task.js";

export interface GetterContext {
  desktop: Desktop;
  /** The env's local file map (URL → bytes): `cloud_file` reads from it, sandboxes have no network. */
  downloads?: Map<string, Uint8Array>;
  /** Parses spreadsheets for the table metrics. */
  readTable: TableReader;
}

export type GetterFn = (g: Getter, ctx: GetterContext) => Promise<unknown>;

export function need(g: Getter, key: string): string {
  const v = g[key];
  if (typeof v !== "string" || !v) throw new Error(`getter "${g.type}" needs a string "${key}"`);
  return v;
}

const commandOf = (g: Getter): string | string[] => commandArgv(g.command, g.shell);

/** `cloud_file`: OSWorld downloads the expected file; here it comes from the env's `gui.downloads` map. */
async function cloudFile(g: Getter, ctx: GetterContext): Promise<FileValue | FileValue[]> {
  const one = (url: unknown): FileValue => {
    if (typeof url !== "string" || !url) throw new Error('getter "cloud_file" needs "path": a URL (or a list with "multi": true)');
    const data = ctx.downloads?.get(url);
    if (!data) throw new Error(`getter "cloud_file": no local file for ${url} (sandboxes have no network). Fix: add "${url}": "<file in the env folder>" to gui.downloads in env.ts`);
    return new FileValue(url, Buffer.from(data), ctx.readTable);
  };
  return g.multi === true && Array.isArray(g.path) ? g.path.map(one) : one(g.path);
}

/**
 * OSWorld's result/expected getters that make sense in a container desktop, by their OSWorld names.
 * `vm_file` gives the file's bytes (OSWorld gives a local copy's path): text metrics read its text,
 * table metrics its sheets. A file that does not exist is null, which scores 0, as in OSWorld.
 * To add one: a function here (or in its own module, spread in), named as OSWorld names it.
 */
export const GETTERS: Record<string, GetterFn> = {
  vm_file: async (g, { desktop, readTable }) => {
    const path = need(g, "path");
    try {
      return new FileValue(path, await desktop.sandbox.readFile(path), readTable);
    } catch {
      return null;
    }
  },
  cloud_file: cloudFile,
  vm_command_line: async (g, { desktop }) => (await desktop.sandbox.exec({ cmd: commandOf(g), env: { DISPLAY: ":0" }, timeoutMs: 30_000 })).stdout,
  vm_command_error: async (g, { desktop }) => (await desktop.sandbox.exec({ cmd: commandOf(g), env: { DISPLAY: ":0" }, timeoutMs: 30_000 })).stderr,
  accessibility_tree: async (_g, { desktop }) => renderA11y((await desktop.observe({ a11y: true })).a11y, 10_000),
  vm_screen_size: async (_g, { desktop }) => ({ width: desktop.screen.width, height: desktop.screen.height }),
  rule: async (g) => g.rules ?? {},
  ...BROWSER_GETTERS,
};
