import fs from "node:fs";
import path from "node:path";
import { EnvLoadError } from "./errors.js";

/** The real path of `p` (links resolved), or null when it does not exist (yet). */
function realOrNull(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

/** Whether `p` (a real path) is `root` or lies under it. */
export function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * An env-relative path an environment names (`tasks`, `swe.mirrors`, gui `files`), resolved with
 * its links and confined to the env folder: an uploaded bundle must not make the runner read its
 * own disk. A path that does not exist is checked as written (its reader reports it missing).
 */
export function insideEnv(dir: string, rel: string, field: string): string {
  const root = realOrNull(dir) ?? path.resolve(dir);
  const abs = path.resolve(root, rel);
  const real = realOrNull(abs) ?? abs;
  if (!within(root, real)) {
    throw new EnvLoadError(dir, [{ file: "env.ts", field, message: `${JSON.stringify(rel)} leads outside the environment folder`, fix: "name a file or folder inside the environment folder (no links or .. out of it)" }]);
  }
  return real;
}
