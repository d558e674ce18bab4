import fs from "node:fs";
import path from "node:path";
import { ensurePrivateDir } from "../config/paths.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One runner per data folder: two would both "recover" the same runs and double their episodes.
 * A lock left by a process that died (kill -9) is taken over.
 */
export function acquirePidLock(home: string): { release(): void } {
  const file = path.join(home, "runner.pid");
  ensurePrivateDir(home);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
      return {
        release: () => {
          try {
            if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.rmSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const other = Number(fs.readFileSync(file, "utf8").trim());
      if (other && other !== process.pid && alive(other)) {
        throw new Error(`another runner (pid ${other}: \`agentrl serve\`, rollout or train) is using ${home}. Fix: wait for it or stop it, run through it (\`agentrl remote rollout --runner URL\`), or give this one its own data folder with AGENTRL_HOME.`, { cause: err });
      }
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the runner lock ${file}`);
}

/**
 * The same lock for a CLI command that runs episodes (`agentrl rollout`, `train`, `preflight`),
 * held until this process exits: a server starting on the same data folder meanwhile would
 * "recover" the CLI's run and run its episodes a second time.
 */
export function holdHomeLock(home: string): void {
  const lock = acquirePidLock(home);
  process.once("exit", () => lock.release());
}
