import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A folder shipped beside the runner (the desktop image recipe, the trainer's Python sources),
 * found from this module whether it runs from source (tsx) or from the bundle in remote-runner/dist.
 */
export function runnerFolder(rel: string, marker: string, what: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [path.join(dir, rel), path.join(dir, "remote-runner", rel)]) {
      if (fs.existsSync(path.join(candidate, marker))) return candidate;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`${what} (remote-runner/${rel}/${marker}) was not found next to the runner`);
}
