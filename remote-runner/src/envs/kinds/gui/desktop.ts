import { SandboxError, type Sandbox } from "../../../sandbox/types.js";

/** What a desktop needs of its sandbox (a Sandbox, or an episode's view of one). */
export type DesktopSandbox = Pick<Sandbox, "exec" | "unixRequest" | "readFile" | "writeFile" | "writeDir">;
import type { Computer13Action } from "./computer13.js";

/** One node of an app's accessibility tree (see remote-runner/images/gui/agentrl/a11y_tk.py). */
export interface A11yNode {
  role: string;
  name: string;
  value?: unknown;
  states: string[];
  bbox?: [number, number, number, number];
  children?: A11yNode[];
}

export interface A11yTree {
  app: string;
  pid: number;
  title: string;
  root: A11yNode;
}

export interface AppStatus {
  name: string;
  pid: number;
  running: boolean;
  exitCode: number | null;
}

export interface DesktopReply {
  ok: boolean;
  /** What was wrong with the action or the desktop; becomes the policy's observation, never a crash. */
  error: string | null;
  /** The screen differs from before the action. */
  changed: boolean;
  /** Things that happened on their own: an application exited, crashed. */
  notes: string[];
  apps: AppStatus[];
  screenshot: Buffer;
  a11y: A11yTree[];
  ms: number;
}

export class DesktopError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DesktopError";
  }
}

interface RawReply {
  ok: boolean;
  error?: string | null;
  changed?: boolean;
  notes?: string[];
  apps?: AppStatus[];
  screenshot?: string;
  a11y?: A11yTree[];
  ms?: number;
  pid?: number;
}

const DESKTOP_PY = "/opt/agentrl/desktop.py";
const DESKTOP_SOCKET = "/tmp/.agentrl/desktop.sock";

/** The desktop inside a GUI sandbox, driven through its daemon (Xvfb + window manager + xdotool). */
export class Desktop {
  constructor(
    readonly sandbox: DesktopSandbox,
    readonly screen: { width: number; height: number },
    private readonly opts: { stepTimeoutMs?: number; windowManager?: boolean; accessibilityTree?: boolean } = {},
  ) {}

  private get stepTimeoutMs(): number {
    return this.opts.stepTimeoutMs ?? 20_000;
  }

  /** Starts Xvfb, the window manager and the daemon; resolves when it answers. */
  async start(): Promise<void> {
    const res = await this.sandbox.exec({ cmd: ["python3", DESKTOP_PY, "start", String(this.screen.width), String(this.screen.height), ...(this.opts.windowManager === false ? ["--no-wm"] : [])], timeoutMs: 30_000 });
    if (res.exitCode !== 0) {
      throw new DesktopError(
        `the desktop did not start (${res.timedOut ? "timed out" : `exit ${res.exitCode}`}): ${(res.stderr || res.stdout).trim().slice(-500)}. ` +
          "Is the sandbox image the GUI image (remote-runner/images/gui)?",
      );
    }
  }

  private async call(req: Record<string, unknown>, timeoutMs = this.stepTimeoutMs): Promise<RawReply> {
    let raw: Buffer;
    try {
      raw = await this.sandbox.unixRequest(DESKTOP_SOCKET, Buffer.from(JSON.stringify(req) + "\n"), timeoutMs);
    } catch (err) {
      if (err instanceof SandboxError && err.code === "sandbox_died") throw err;
      return { ok: false, error: `the desktop did not answer: ${(err as Error).message}` };
    }
    try {
      return JSON.parse(raw.toString("utf8")) as RawReply;
    } catch {
      return { ok: false, error: `the desktop daemon answered garbage: ${raw.toString("utf8").slice(0, 300)}` };
    }
  }

  private reply(r: RawReply): DesktopReply {
    return {
      ok: r.ok,
      error: r.error ?? null,
      changed: Boolean(r.changed),
      notes: r.notes ?? [],
      apps: r.apps ?? [],
      screenshot: Buffer.from(r.screenshot ?? "", "base64"),
      a11y: r.a11y ?? [],
      ms: r.ms ?? 0,
    };
  }

  /** Whether replies carry the AT-SPI trees of real applications (the Tk apps' trees always come: they cost nothing). */
  private get atspi(): boolean {
    return this.opts.accessibilityTree !== false;
  }

  /** Executes one computer_13 action and returns the settled screen. */
  async act(action: Computer13Action): Promise<DesktopReply> {
    return this.reply(await this.call({ op: "act", action, a11y: this.atspi }));
  }

  async observe(opts: { a11y?: boolean } = {}): Promise<DesktopReply> {
    return this.reply(await this.call({ op: "observe", a11y: opts.a11y ?? this.atspi }));
  }

  /** Starts an application on the desktop; with `waitWindow`, until a window with that title shows. */
  async launch(command: string | string[], opts: { name?: string; waitWindow?: string; timeoutS?: number } = {}): Promise<{ ok: boolean; error: string | null; pid?: number }> {
    const timeoutS = opts.timeoutS ?? 10;
    // The daemon waits up to timeoutS for the window: the request may take that long, plus a margin.
    const r = await this.call({ op: "launch", command, name: opts.name ?? (Array.isArray(command) ? command[0] : command.split(" ")[0]), wait_window: opts.waitWindow, timeout: timeoutS }, Math.max(this.stepTimeoutMs, timeoutS * 1000 + 10_000));
    return { ok: r.ok, error: r.error ?? null, pid: r.pid };
  }
}

/** A compact text rendering of the accessibility trees for the policy (role, name, value, state, centre). */
export function renderA11y(trees: A11yTree[], maxLines = 200): string {
  const lines: string[] = [];
  const walk = (n: A11yNode, depth: number) => {
    if (lines.length >= maxLines) return;
    const interesting = n.name || n.value !== undefined || n.states.length || !["panel", "frame"].includes(n.role);
    if (interesting) {
      const centre = n.bbox ? ` @(${Math.round(n.bbox[0] + n.bbox[2] / 2)},${Math.round(n.bbox[1] + n.bbox[3] / 2)})` : "";
      const value = n.value !== undefined && n.value !== "" ? ` value=${JSON.stringify(n.value)}` : "";
      const states = n.states.length ? ` [${n.states.join(",")}]` : "";
      lines.push(`${"  ".repeat(depth)}${n.role}${n.name ? ` "${n.name}"` : ""}${value}${states}${centre}`);
    }
    for (const c of n.children ?? []) walk(c, interesting ? depth + 1 : depth);
  };
  for (const t of trees) {
    lines.push(`window "${t.title}" (${t.app})`);
    walk(t.root, 1);
  }
  if (lines.length >= maxLines) lines.push("[... accessibility tree truncated]");
  return lines.join("\n");
}
