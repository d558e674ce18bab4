import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { cacheDir } from "../../../config/paths.js";
import { ensureEnvImage } from "../../../images/build.js";
import { ImageBuildError, type ProgressFn } from "../../../images/progress.js";
import { KindTaskError } from "../types.js";
import { mapHarborDockerfile } from "./dockerfile.js";
import { readFolder, type HarborTask } from "./task-folder.js";

/** Bumped when the generated Dockerfile changes, so cached build folders are not reused across versions. */
const RECIPE_VERSION = "1";

/**
 * The sandbox image of a Harbor task: its environment/ folder copied into a build folder (content
 * addressed) with the Dockerfile mapped onto the offline base, then built and cached by content hash
 * like every env image. A FROM we cannot map, or a build that fails, is a task error naming the task.
 */
export async function ensureHarborImage(task: HarborTask, progress?: ProgressFn): Promise<{ image: string; workdir: string }> {
  if (task.config.dockerImage && !fs.existsSync(path.join(task.dir, "environment/Dockerfile"))) {
    throw new KindTaskError(
      `task "${task.id}": task.toml names the prebuilt image ${task.config.dockerImage}, which cannot be pulled here (no registry is reachable). Fix: add environment/Dockerfile FROM a Debian, Ubuntu or Python image`,
    );
  }
  const envDir = path.join(task.dir, "environment");
  const mapped = mapHarborDockerfile(fs.readFileSync(path.join(envDir, "Dockerfile"), "utf8"), task.id);
  const files = readFolder(envDir);
  delete files.Dockerfile;
  const h = createHash("sha256").update(`agentrl-harbor:${RECIPE_VERSION}\n${mapped.text}\0`);
  for (const rel of Object.keys(files).sort()) h.update(`${rel}\0`).update(files[rel] as Buffer).update("\0");
  const safeId = task.id.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[-.]+/, "") || "task";
  const buildDir = path.join(cacheDir(), "harbor-builds", h.digest("hex").slice(0, 16), `harbor-${safeId}`);
  if (!fs.existsSync(path.join(buildDir, "Dockerfile"))) {
    fs.mkdirSync(path.dirname(buildDir), { recursive: true });
    // Written beside, then renamed: concurrent runs never build from a half-written folder.
    const tmp = `${buildDir}.${process.pid}.${Date.now()}.tmp`;
    for (const [rel, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), data);
    }
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, "Dockerfile"), mapped.text);
    try {
      fs.renameSync(tmp, buildDir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  try {
    return { image: await ensureEnvImage(buildDir, { progress }), workdir: mapped.workdir };
  } catch (err) {
    if (!(err instanceof ImageBuildError)) throw err;
    throw new KindTaskError(`task "${task.id}": environment/Dockerfile (built FROM ${mapped.from.join(", ")} mapped to the offline Debian base) did not build: ${err.message}. Fix: correct the Dockerfile; packages come from Debian's apt mirror, nothing else is reachable`, false, { cause: err });
  }
}
