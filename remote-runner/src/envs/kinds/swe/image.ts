import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cacheDir } from "../../../config/paths.js";
import { ensureEnvImage } from "../../../images/build.js";
import type { ProgressFn } from "../../../images/progress.js";
import { SweTaskError } from "./errors.js";
import { git } from "./git-env.js";
import { SWE_REPO_DIR, type SweInstance } from "./instance.js";
import { archiveCommit, prepareRepo, type RepoOptions } from "./repo-cache.js";

const INSTALL_MARKER = "agentrl-swe-install";
/** Root-owned file holding the hash of the repository's base commit inside the image. */
export const BASE_COMMIT_FILE = "/etc/agentrl-base-commit";

/**
 * The Dockerfile of one repository environment: the toolchain layer first (identical text for every
 * task with the same packages, so Docker's layer cache shares it), then the repository at the commit
 * as a fresh one-commit git repository (the agent cannot read the fix from later history), then the
 * task's install commands. Files the install leaves behind are ignored so they never enter a diff.
 */
export function sweDockerfile(inst: Pick<SweInstance, "apt" | "install" | "base_commit">): string {
  const apt = [...new Set(["git", "patch", ...inst.apt])].sort();
  const install = inst.install.length ? inst.install.map((c) => `(${c})`).join(" && ") : "true";
  return [
    "ARG BASE_IMAGE",
    "FROM ${BASE_IMAGE}",
    `RUN (DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${apt.join(" ")} >/dev/null 2>&1 || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${apt.join(" ")})) && rm -f /var/cache/apt/archives/*.deb`,
    "COPY repo.tar /tmp/repo.tar",
    `RUN mkdir -p ${SWE_REPO_DIR} && tar -xf /tmp/repo.tar -C ${SWE_REPO_DIR} && rm /tmp/repo.tar && cd ${SWE_REPO_DIR} \\`,
    `  && git init -q && git add -A && git -c user.name=agentrl -c user.email=agentrl@localhost commit -q --no-verify -m "base ${inst.base_commit}"`,
    `WORKDIR ${SWE_REPO_DIR}`,
    `RUN echo ${INSTALL_MARKER} && set -e && ${install}`,
    // The base commit is recorded where the agent (not root) cannot change it: its own commits or a moved tag cannot hide changes.
    `RUN git ls-files --others --exclude-standard >> .git/info/exclude && git config --system --add safe.directory ${SWE_REPO_DIR} && git rev-parse HEAD > ${BASE_COMMIT_FILE} && chmod 444 ${BASE_COMMIT_FILE} && chown -R 1000:1000 ${SWE_REPO_DIR}`,
    "",
  ].join("\n");
}

/** Checks that a patch applies to `commit` without a checkout (a throwaway index in the bare cache). */
export async function patchApplies(bare: string, commit: string, patch: string): Promise<{ ok: boolean; message: string }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-swe-check-"));
  try {
    const patchFile = path.join(tmp, "p.diff");
    fs.writeFileSync(patchFile, patch.endsWith("\n") ? patch : `${patch}\n`);
    const g = git(bare, { GIT_INDEX_FILE: path.join(tmp, "index") });
    await g.raw(["read-tree", commit]);
    try {
      await g.raw(["apply", "--cached", "--check", patchFile]);
      return { ok: true, message: "" };
    } catch (err) {
      return { ok: false, message: (err as Error).message.trim() };
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface PreparedTask {
  inst: SweInstance;
  image: string;
  commit: string;
  repoUrl: string;
  /** How long preparing took, and whether the image was already there. */
  prepareMs: number;
}

const preparing = new Map<string, Promise<PreparedTask>>();

/**
 * Everything a SWE task needs before its first episode: the repository in the shared cache, the
 * commit checked, the hidden tests checked to apply, and the environment image (built once, then
 * found by content hash). Each failure is a SweTaskError naming the task and the fix.
 */
export function prepareSweTask(inst: SweInstance, opts: RepoOptions & { progress?: ProgressFn }): Promise<PreparedTask> {
  const key = JSON.stringify([inst.instance_id, inst.repo, inst.base_commit, inst.apt, inst.install, opts.baseDir, inst.test_patch]);
  let p = preparing.get(key);
  if (!p) {
    p = doPrepare(inst, opts);
    preparing.set(key, p);
    p.catch(() => preparing.delete(key));
  }
  return p;
}

async function doPrepare(inst: SweInstance, opts: RepoOptions & { progress?: ProgressFn }): Promise<PreparedTask> {
  const t0 = performance.now();
  const id = inst.instance_id;
  const { url, bare, commit } = await prepareRepo(inst.repo, inst.base_commit, opts, id);
  const check = await patchApplies(bare, commit, inst.test_patch);
  if (!check.ok) throw new SweTaskError("test_patch_invalid", `test_patch does not apply to ${commit.slice(0, 12)}: ${check.message}. Fix: regenerate it with \`git diff\` against base_commit`, id);
  const dockerfile = sweDockerfile({ ...inst, base_commit: commit });
  const recipe = createHash("sha256").update(dockerfile).digest("hex").slice(0, 12);
  const name = path.basename(url).replace(/\.git$/, "").replace(/-[0-9a-f]{16}$/, "").replace(/[^A-Za-z0-9_.-]+/g, "-").toLowerCase();
  const ctx = path.join(cacheDir(), "swe", "contexts", `swe-${name}-${commit.slice(0, 12)}-${recipe}`);
  if (!fs.existsSync(path.join(ctx, "Dockerfile"))) {
    const partial = `${ctx}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    await archiveCommit(bare, commit, path.join(partial, "repo.tar"));
    fs.writeFileSync(path.join(partial, "Dockerfile"), dockerfile);
    fs.rmSync(ctx, { recursive: true, force: true });
    fs.renameSync(partial, ctx);
  }
  let image: string;
  try {
    image = await ensureEnvImage(ctx, { progress: opts.progress });
  } catch (err) {
    const msg = (err as Error).message;
    const install = msg.includes(INSTALL_MARKER);
    throw new SweTaskError(
      install ? "install_failed" : "repo_unavailable",
      install
        ? `the install commands failed while building the environment image: ${msg}. Fix: correct "install" (the image is rebuilt when it changes)`
        : `the environment image could not be built: ${msg}`,
      id,
      { cause: err },
    );
  }
  return { inst, image, commit, repoUrl: url, prepareMs: performance.now() - t0 };
}
