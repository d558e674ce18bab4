import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where downloads, the managed Docker engine and image caches live; outside any repository. */
export function cacheDir(): string {
  if (process.env.AGENTRL_CACHE) return path.resolve(process.env.AGENTRL_CACHE);
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), ".cache"), "agentrl");
}

/** The runner's data folder (store, blobs, token). `AGENTRL_HOME` overrides. */
export function homeDir(): string {
  if (process.env.AGENTRL_HOME) return path.resolve(process.env.AGENTRL_HOME);
  return path.join(os.homedir(), ".agentrl");
}

/**
 * Creates a folder only its owner can enter (0700), from its first creation on: the data folder
 * holds the token, the store and uploaded code. One an older version left open is closed again.
 */
export function ensurePrivateDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) fs.chmodSync(dir, 0o700);
  return dir;
}

/** Files of the Docker engine that `agentrl doctor` starts when no daemon is reachable. */
export function managedDockerPaths(): { root: string; socket: string; dataRoot: string; execRoot: string; pidfile: string; log: string } {
  const root = path.join(cacheDir(), "docker");
  return {
    root,
    socket: path.join(root, "docker.sock"),
    dataRoot: path.join(root, "data"),
    // exec-root holds unix sockets, whose paths must stay short.
    execRoot: path.join(root, "exec"),
    pidfile: path.join(root, "docker.pid"),
    log: path.join(root, "dockerd.log"),
  };
}
