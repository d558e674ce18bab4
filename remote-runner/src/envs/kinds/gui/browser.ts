import type { GetterContext, GetterFn } from "./getters.js";

/** A browser tab as OSWorld's Chrome getters give it. */
export interface TabInfo {
  title: string;
  url: string;
}

/** The DevTools endpoint the apps image starts Chromium with (OSWorld's Chrome tasks use 1337 too). */
export const DEVTOOLS_PORT = 1337;

/** Asks the browser inside the sandbox for its targets (loopback only; the sandbox has no other network). */
const LIST_TARGETS = `import json,sys,urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:${DEVTOOLS_PORT}/json/list", timeout=5).read().decode())
except OSError as e:
    print(json.dumps({"error": str(e)}))`;

/**
 * The open tabs, most recently active first (Chromium's DevTools lists page targets in that order),
 * or null when no browser answers (nothing open scores 0).
 */
export async function openTabs(ctx: GetterContext): Promise<TabInfo[] | null> {
  const r = await ctx.desktop.sandbox.exec({ cmd: ["python3", "-I", "-c", LIST_TARGETS], timeoutMs: 15_000, maxOutputBytes: 4 << 20 });
  let out: unknown;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    return null;
  }
  if (!Array.isArray(out)) return null;
  return out
    .filter((t): t is { type: string; title?: unknown; url?: unknown } => typeof t === "object" && t !== null && (t as { type?: unknown }).type === "page")
    .map((t) => ({ title: typeof t.title === "string" ? t.title : "", url: typeof t.url === "string" ? t.url : "" }));
}

/**
 * OSWorld's Chrome getters, by their names. `active_url_from_accessTree` reads the address bar in
 * OSWorld; here the active tab's URL comes from DevTools, which is what the address bar shows.
 */
export const BROWSER_GETTERS: Record<string, GetterFn> = {
  open_tabs_info: async (_g, ctx) => openTabs(ctx),
  active_tab_info: async (_g, ctx) => (await openTabs(ctx))?.[0] ?? null,
  active_url_from_accessTree: async (_g, ctx) => (await openTabs(ctx))?.[0]?.url ?? null,
};
