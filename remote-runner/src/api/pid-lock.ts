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
        throw new Error(`another runner (pid ${other}) is using ${home}. Fix: stop it, or give this one its own data folder with AGENTRL_HOME.`, { cause: err });
      }
      fs.rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the runner lock ${file}`);
}
