import type { Desktop } from "./desktop.js";
import { commandArgv as argv, type SetupStep } from "./osworld-task.js";

/** A setup step that failed: a per-task error, not an agent failure. */
export class SetupStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupStepError";
  }
}


/** File types `open` knows how to show, and the in-image app that shows them. */
const OPENERS: Record<string, (path: string) => string[]> = {
  ".txt": (p) => ["python3", "apps/editor.py", p],
  ".md": (p) => ["python3", "apps/editor.py", p],
};

/** OSWorld's `until` on execute steps: the result the command must reach, retried until it does. */
interface Until {
  returncode?: number;
  stdout?: string;
  stderr?: string;
}

function reached(r: { exitCode: number | null; stdout: string; stderr: string }, until: Until): boolean {
  if (until.returncode !== undefined && r.exitCode !== until.returncode) return false;
  if (until.stdout !== undefined && !r.stdout.includes(until.stdout)) return false;
  if (until.stderr !== undefined && !r.stderr.includes(until.stderr)) return false;
  return true;
}

/** How often, and how far apart, an execute step with `until` is retried (OSWorld retries too). */
const UNTIL_TRIES = 20;
const UNTIL_WAIT_MS = 500;

async function execute(desktop: Desktop, p: Record<string, unknown>): Promise<void> {
  const until = typeof p.until === "object" && p.until !== null ? (p.until as Until) : null;
  const timeoutMs = Number(p.timeout ?? 60) * 1000;
  for (let attempt = 1; ; attempt++) {
    const r = await desktop.sandbox.exec({ cmd: argv(p.command, p.shell), env: { DISPLAY: ":0" }, timeoutMs });
    if (until ? reached(r, until) : r.exitCode === 0) return;
    if (!until || attempt >= UNTIL_TRIES) {
      const why = until ? `did not reach ${JSON.stringify(until)} after ${attempt} tries (last exit ${r.exitCode})` : `exited ${r.timedOut ? "by timeout" : r.exitCode}`;
      throw new SetupStepError(`${why}: ${(r.stderr || r.stdout).trim().slice(-300)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, UNTIL_WAIT_MS));
  }
}

/** OSWorld's `download`: each {url, path} comes from the env's local file map, never the network. */
async function download(desktop: Desktop, p: Record<string, unknown>, downloads: Map<string, Uint8Array> | undefined): Promise<void> {
  for (const f of (p.files as { url: string; path: string }[] | undefined) ?? []) {
    const data = downloads?.get(f.url);
    if (!data) throw new SetupStepError(`no local file for ${f.url} (sandboxes have no network). Fix: add "${f.url}": "<file in the env folder>" to gui.downloads in env.ts`);
    await desktop.sandbox.writeFile(f.path, data);
  }
}

/** Runs OSWorld `config` steps in order; the first failure stops with a message naming the step. */
export async function runSetupSteps(steps: SetupStep[], desktop: Desktop, label: string, opts: { downloads?: Map<string, Uint8Array> } = {}): Promise<void> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as SetupStep;
    const p = step.parameters ?? {};
    const where = `${label}: config[${i}] (${step.type})`;
    try {
      switch (step.type) {
        case "execute":
        case "command":
          await execute(desktop, p);
          break;
        case "download":
          await download(desktop, p, opts.downloads);
          break;
        case "launch": {
          const r = await desktop.launch(argv(p.command, p.shell), { name: typeof p.name === "string" ? p.name : undefined, waitWindow: typeof p.window === "string" ? p.window : undefined, timeoutS: Number(p.timeout ?? 15) });
          if (!r.ok) throw new SetupStepError(r.error ?? "the application did not start");
          break;
        }
        case "open": {
          const path = String(p.path ?? "");
          const ext = path.slice(path.lastIndexOf("."));
          const opener = OPENERS[ext];
          if (!opener) throw new SetupStepError(`no application opens "${ext}" files; known: ${Object.keys(OPENERS).join(", ")}`);
          const r = await desktop.launch(opener(path), { name: "open", waitWindow: typeof p.window === "string" ? p.window : undefined, timeoutS: 15 });
          if (!r.ok) throw new SetupStepError(r.error ?? "the file did not open");
          break;
        }
        case "sleep": {
          const seconds = Number(p.seconds ?? 1);
          if (!(seconds >= 0 && seconds <= 60)) throw new SetupStepError('"seconds" must be between 0 and 60');
          await new Promise((r) => setTimeout(r, seconds * 1000));
          break;
        }
        case "upload_file": {
          for (const f of (p.files as { path: string; content: string }[] | undefined) ?? []) await desktop.sandbox.writeFile(f.path, f.content);
          break;
        }
        default:
          throw new SetupStepError(`unsupported step type "${step.type}"`);
      }
    } catch (err) {
      throw new SetupStepError(`${where} failed: ${(err as Error).message}`);
    }
  }
}
