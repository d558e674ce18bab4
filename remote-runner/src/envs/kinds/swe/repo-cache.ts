import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { cacheDir } from "../../../config/paths.js";
import { insideEnv } from "../../confine.js";
import { SweTaskError } from "./errors.js";
import { git } from "./git-env.js";
import { buildSnapshotRepo, isSnapshotDir } from "./snapshot-repo.js";

export interface RepoOptions {
  /** Folder that relative `repo` paths are read from (the env folder). */
  baseDir: string;
  /** Folders holding local mirrors of `owner/name` repositories (SWE-bench's `repo` field). */
  mirrors?: string[];
  /** Allow cloning `owner/name` from GitHub when no mirror has it (off: these machines have no network). */
  network?: boolean;
}

/** Mirror folders searched for `owner/name`: the options, `AGENTRL_SWE_MIRRORS` (path list), then the cache's own. */
export function mirrorRoots(opts: RepoOptions): string[] {
  const fromEnv = (process.env.AGENTRL_SWE_MIRRORS ?? "").split(path.delimiter).filter(Boolean);
  return [...(opts.mirrors ?? []).map((m) => insideEnv(opts.baseDir, m, "options.mirrors")), ...fromEnv.map((m) => path.resolve(m)), path.join(cacheDir(), "swe", "mirrors")];
}

function isGitRepo(dir: string): boolean {
  return fs.existsSync(path.join(dir, "HEAD")) || fs.existsSync(path.join(dir, ".git"));
}

/**
 * Where a task's repository is cloned from: a snapshot folder (built into a real repository), a
 * local git repository, a clone URL, or `owner/name` looked up among the local mirrors.
 */
export async function resolveRepoUrl(repo: string, opts: RepoOptions, taskId?: string): Promise<string> {
  if (/^(https?|ssh|git|file):\/\//.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo)) return repo;
  const local = path.resolve(opts.baseDir, repo);
  if (fs.existsSync(local)) {
    if (isSnapshotDir(local)) return buildSnapshotRepo(local);
    if (isGitRepo(local)) return local;
    throw new SweTaskError("repo_unavailable", `${local} is neither a git repository nor a snapshot folder (commits/NN-message/). Fix: point "repo" at a git repository`, taskId);
  }
  const m = /^([\w.-]+)\/([\w.-]+?)(\.git)?$/.exec(repo);
  if (m) {
    const [owner, name] = [m[1] as string, m[2] as string];
    const roots = mirrorRoots(opts);
    for (const root of roots) {
      for (const cand of [`${owner}/${name}.git`, `${owner}/${name}`, `${owner}__${name}.git`, `${owner}__${name}`]) {
        const p = path.join(root, cand);
        if (fs.existsSync(p) && isGitRepo(p)) return p;
      }
    }
    if (opts.network) return `https://github.com/${owner}/${name}.git`;
    throw new SweTaskError(
      "repo_unavailable",
      `no local mirror of ${owner}/${name} in ${roots.join(", ")} and network access is off. ` +
        `Fix: on a machine with network run \`git clone --mirror https://github.com/${owner}/${name}.git ${path.join(roots[roots.length - 1] as string, `${owner}__${name}.git`)}\` and copy it here (or set AGENTRL_SWE_MIRRORS)`,
      taskId,
    );
  }
  throw new SweTaskError("repo_unavailable", `repository "${repo}" is not a folder (looked at ${local}), a clone URL or owner/name. Fix: correct "repo"`, taskId);
}

const cloning = new Map<string, Promise<string>>();

/** The shared bare clone of a repository under the cache; cloned once, by one caller at a time. */
export function ensureBareCache(url: string, taskId?: string): Promise<string> {
  const key = createHash("sha256").update(url).digest("hex").slice(0, 16);
  const dest = path.join(cacheDir(), "swe", "repos", `${path.basename(url).replace(/\.git$/, "").replace(/[^\w.-]+/g, "-")}-${key}.git`);
  if (fs.existsSync(path.join(dest, "HEAD"))) return Promise.resolve(dest);
  let p = cloning.get(dest);
  if (!p) {
    p = (async () => {
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const partial = `${dest}.partial-${process.pid}`;
      fs.rmSync(partial, { recursive: true, force: true });
      try {
        await git().raw(["clone", "--quiet", "--mirror", url, partial]);
      } catch (err) {
        fs.rmSync(partial, { recursive: true, force: true });
        throw new SweTaskError("repo_unavailable", `cannot clone ${url}: ${(err as Error).message.trim()}`, taskId, { cause: err });
      }
      if (!fs.existsSync(path.join(dest, "HEAD"))) fs.renameSync(partial, dest);
      else fs.rmSync(partial, { recursive: true, force: true });
      return dest;
    })().finally(() => cloning.delete(dest));
    cloning.set(dest, p);
  }
  return p;
}

async function hasCommit(bare: string, commit: string): Promise<boolean> {
  try {
    await git(bare).raw(["cat-file", "-e", `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Makes sure the cache holds `commit` (fetching once when it does not) and returns its full hash. */
export async function ensureCommit(bare: string, url: string, commit: string, taskId?: string): Promise<string> {
  if (!(await hasCommit(bare, commit))) {
    await git(bare).raw(["fetch", "--quiet", "--prune", "origin"]).catch(() => {});
    if (!(await hasCommit(bare, commit))) {
      throw new SweTaskError("base_commit_missing", `base_commit ${commit} does not exist in ${url}. Fix: use a commit of that repository (\`git log\` lists them), or update the mirror`, taskId);
    }
  }
  return (await git(bare).raw(["rev-parse", `${commit}^{commit}`])).trim();
}

/** The tree of `commit` as a tar file (deterministic for a commit: `git archive` uses the commit time). */
export async function archiveCommit(bare: string, commit: string, outFile: string): Promise<void> {
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  await git(bare).raw(["archive", "--format=tar", `--output=${outFile}`, commit]);
}

/** Everything in one call: source → bare cache → verified commit. */
export async function prepareRepo(repo: string, commit: string, opts: RepoOptions, taskId?: string): Promise<{ url: string; bare: string; commit: string }> {
  const url = await resolveRepoUrl(repo, opts, taskId);
  const bare = await ensureBareCache(url, taskId);
  return { url, bare, commit: await ensureCommit(bare, url, commit, taskId) };
}
