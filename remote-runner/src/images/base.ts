import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { cacheDir } from "../config/paths.js";
import { aptInstall, connectDocker } from "../docker/engine.js";
import { detectAptMirror } from "./apt-mirror.js";
import { ImageBuildError, type ProgressFn } from "./progress.js";

export const BASE_REPO = "agentrl/base";

/** Everything that determines the base image's content; its hash is the image tag. */
export interface BaseRecipe {
  suite: string;
  variant: string;
  include: string[];
  mirror: string;
  user: { name: string; uid: number };
  /** Bumped when the steps below change. */
  revision: number;
}

export function baseRecipe(): BaseRecipe {
  return {
    suite: "bookworm",
    variant: "minbase",
    include: ["python3", "git", "ca-certificates", "procps"],
    mirror: detectAptMirror(),
    user: { name: "agent", uid: 1000 },
    revision: 1,
  };
}

export function recipeHash(recipe: BaseRecipe): string {
  return createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 16);
}

async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], progress: ProgressFn): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      tail = (tail + text).slice(-2000);
      for (const line of text.split("\n")) if (/^[IEW]: /.test(line)) progress(`  ${line.trim()}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => reject(new ImageBuildError(`cannot run ${cmd}: ${err.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new ImageBuildError(`\`${cmd} ${args.join(" ")}\` failed (exit ${code}):\n${tail.trim().split("\n").slice(-8).join("\n")}`));
    });
  });
}

/** debootstrap a minimal Debian into a folder and make it a sandbox root: the `agent` user, no apt cache. */
async function makeRootfs(recipe: BaseRecipe, dir: string, progress: ProgressFn): Promise<void> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new ImageBuildError("building the base image needs root (debootstrap). Fix: run `agentrl images build` as root, or import a base image built elsewhere.");
  }
  if (spawnSync("sh", ["-c", "command -v debootstrap"]).status !== 0) {
    progress("installing debootstrap with apt-get");
    aptInstall(["debootstrap"], progress);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  progress(`debootstrap ${recipe.suite} (${recipe.variant}, +${recipe.include.join(",")}) from ${recipe.mirror}`);
  await run("debootstrap", [`--variant=${recipe.variant}`, `--include=${recipe.include.join(",")}`, recipe.suite, dir, recipe.mirror], progress);
  progress(`adding user ${recipe.user.name} (uid ${recipe.user.uid})`);
  await run("chroot", [dir, "useradd", "--create-home", "--uid", String(recipe.user.uid), "--shell", "/bin/bash", recipe.user.name], progress);
  // Downloaded .debs are not needed in every sandbox; apt lists stay so Dockerfiles can `apt-get install`.
  for (const f of fs.readdirSync(path.join(dir, "var/cache/apt/archives"))) {
    if (f.endsWith(".deb")) fs.rmSync(path.join(dir, "var/cache/apt/archives", f));
  }
}

async function importRootfsTar(docker: Docker, tarFile: string, tag: string, recipe: BaseRecipe, hash: string): Promise<void> {
  const stream = fs.createReadStream(tarFile);
  const res = (await docker.importImage(stream, {
    repo: BASE_REPO,
    tag,
    changes: [
      "LABEL agentrl.managed=1",
      "LABEL agentrl.image=base",
      `LABEL agentrl.hash=${hash}`,
      `LABEL agentrl.recipe=${JSON.stringify(JSON.stringify(recipe))}`,
      "ENV LANG=C.UTF-8",
      "WORKDIR /home/agent",
      'CMD ["/bin/bash"]',
    ],
  } as unknown as Record<string, unknown>)) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => {
    let lastError = "";
    res.on("data", (c: Buffer) => {
      const m = /"error"\s*:\s*"([^"]*)"/.exec(c.toString("utf8"));
      if (m) lastError = m[1] ?? "";
    });
    res.on("end", () => (lastError ? reject(new ImageBuildError(`docker import failed: ${lastError}`)) : resolve()));
    res.on("error", reject);
  });
}

/**
 * The offline Debian base every sandbox image derives from, tagged `agentrl/base:<recipe hash>`.
 * Built once with debootstrap from the machine's own apt mirror and `docker import` (nothing is
 * ever pulled from a registry); the rootfs tar is cached so a wiped Docker data root re-imports
 * in seconds instead of re-running debootstrap.
 */
export async function ensureBaseImage(opts: { progress?: ProgressFn; rebuild?: boolean } = {}): Promise<string> {
  const progress = opts.progress ?? (() => {});
  const { docker } = await connectDocker();
  const recipe = baseRecipe();
  const hash = recipeHash(recipe);
  const ref = `${BASE_REPO}:${hash}`;
  if (!opts.rebuild && (await imageExists(docker, ref))) return ref;
  const dir = path.join(cacheDir(), "images");
  fs.mkdirSync(dir, { recursive: true });
  const tarFile = path.join(dir, `base-${hash}.tar`);
  if (opts.rebuild || !fs.existsSync(tarFile)) {
    const rootfs = path.join(dir, `rootfs-${hash}`);
    const started = Date.now();
    await makeRootfs(recipe, rootfs, progress);
    progress("packing the root filesystem");
    await run("tar", ["-C", rootfs, "--numeric-owner", "-cf", `${tarFile}.partial`, "."], progress);
    fs.renameSync(`${tarFile}.partial`, tarFile);
    fs.rmSync(rootfs, { recursive: true, force: true });
    progress(`root filesystem ready in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  progress(`docker import → ${ref}`);
  await importRootfsTar(docker, tarFile, hash, recipe, hash);
  return ref;
}
