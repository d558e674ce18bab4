import type { Desktop } from "./desktop.js";
import type { SetupStep } from "./osworld-task.js";

/** A setup step that failed: a per-task error, not an agent failure. */
export class SetupStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupStepError";
  }
}

function argv(command: unknown, shell: unknown): string | string[] {
  if (Array.isArray(command)) return shell ? command.map(String).join(" ") : command.map(String);
  if (typeof command === "string") return command;
  throw new SetupStepError('needs "command" as a string or a list');
}

/** File types `open` knows how to show, and the in-image app that shows them. */
const OPENERS: Record<string, (path: string) => string[]> = {
  ".txt": (p) => ["python3", "apps/editor.py", p],
  ".md": (p) => ["python3", "apps/editor.py", p],
};

/** Runs OSWorld `config` steps in order; the first failure stops with a message naming the step. */
export async function runSetupSteps(steps: SetupStep[], desktop: Desktop, label: string): Promise<void> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as SetupStep;
    const p = step.parameters ?? {};
    const where = `${label}: config[${i}] (${step.type})`;
    try {
      switch (step.type) {
        case "execute":
        case "command": {
          const r = await desktop.sandbox.exec({ cmd: argv(p.command, p.shell), env: { DISPLAY: ":0" }, timeoutMs: Number(p.timeout ?? 60) * 1000 });
          if (r.exitCode !== 0) {
            throw new SetupStepError(`exited ${r.timedOut ? "by timeout" : r.exitCode}: ${(r.stderr || r.stdout).trim().slice(-300)}`);
          }
          break;
        }
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
