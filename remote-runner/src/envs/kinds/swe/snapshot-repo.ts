import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cacheDir } from "../../../config/paths.js";
import { git } from "./git-env.js";

/**
 * Repositories kept in the project as plain files (no nested .git): `<dir>/commits/NN-message/`
 * folders, each an overlay of files applied on top of the previous commit. Building one gives a
 * real git history whose commit hashes never change (fixed author, committer and dates).
 */
export const SNAPSHOT_AUTHOR = { name: "AgentRL Examples", email: "examples@agentrl.invalid" };
const EPOCH = Date.UTC(2024, 0, 1, 12, 0, 0) / 1000;

export function isSnapshotDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, "commits")) && fs.statSync(path.join(dir, "commits")).isDirectory();
}

function filesUnder(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (e.name === "__pycache__" || e.name === ".git") continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

function commitDirs(dir: string): string[] {
  const root = path.join(dir, "commits");
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Hash of every overlay file; the built repository is cached under it. */
export function snapshotHash(dir: string): string {
  const h = createHash("sha256");
  for (const c of commitDirs(dir)) {
    for (const rel of filesUnder(path.join(dir, "commits", c))) {
      h.update(`${c}/${rel}\0`).update(fs.readFileSync(path.join(dir, "commits", c, rel))).update("\0");
    }
  }
  return h.digest("hex").slice(0, 16);
}

const building = new Map<string, Promise<string>>();

/**
 * Builds (once) the bare repository of a snapshot folder under the cache and returns its path.
 * The build happens in a temporary folder and is renamed into place, so concurrent builders never
 * see half a repository.
 */
export function buildSnapshotRepo(dir: string): Promise<string> {
  const abs = path.resolve(dir);
  const name = path.basename(abs).replace(/[^A-Za-z0-9_.-]+/g, "-");
  const dest = path.join(cacheDir(), "swe", "snapshots", `${name}-${snapshotHash(abs)}.git`);
  if (fs.existsSync(path.join(dest, "HEAD"))) return Promise.resolve(dest);
  let p = building.get(dest);
  if (!p) {
    p = build(abs, dest).finally(() => building.delete(dest));
    building.set(dest, p);
  }
  return p;
}

/** Git's environment for a reproducible commit: fixed identity and dates. */
function commitEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: SNAPSHOT_AUTHOR.name,
    GIT_AUTHOR_EMAIL: SNAPSHOT_AUTHOR.email,
    GIT_COMMITTER_NAME: SNAPSHOT_AUTHOR.name,
    GIT_COMMITTER_EMAIL: SNAPSHOT_AUTHOR.email,
    GIT_TEMPLATE_DIR: "",
    ...extra,
  };
}

async function build(src: string, dest: string): Promise<string> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-snapshot-"));
  try {
    const repo = git(work, commitEnv());
    await repo.init(["--initial-branch=main"]);
    await repo.addConfig("core.autocrlf", "false").addConfig("core.fileMode", "false");
    const commits = commitDirs(src);
    for (const [i, c] of commits.entries()) {
      const overlay = path.join(src, "commits", c);
      for (const rel of filesUnder(overlay)) {
        const to = path.join(work, rel);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.copyFileSync(path.join(overlay, rel), to);
        fs.chmodSync(to, 0o644);
      }
      await repo.raw(["add", "-A"]);
      const date = `${EPOCH + i * 86_400} +0000`;
      const message = c.replace(/^\d+-/, "").replace(/-/g, " ");
      await git(work, commitEnv({ GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date })).raw(["commit", "--quiet", "--no-verify", "--allow-empty", "-m", message]);
    }
    const partial = `${dest}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    await git().raw(["clone", "--quiet", "--bare", work, partial]);
    if (!fs.existsSync(path.join(dest, "HEAD"))) {
      fs.rmSync(dest, { recursive: true, force: true });
      fs.renameSync(partial, dest);
    } else fs.rmSync(partial, { recursive: true, force: true });
    return dest;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
