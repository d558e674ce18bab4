import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { connectDocker } from "../docker/engine.js";
import { ensureBaseImage } from "./base.js";
import { ImageBuildError, type ProgressFn } from "./progress.js";

const SKIP = new Set([".git", "node_modules", ".agentrl", "__pycache__"]);

/** Files of a build context, relative paths sorted, skipping what never belongs in an image. */
function contextFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(r);
      else if (entry.isFile()) out.push(r);
    }
  };
  walk("");
  return out.sort();
}

/** Image name for an env folder: `agentrl/env-<folder name>`, sanitized for Docker. */
export function envImageRepo(dir: string): string {
  const name = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[-.]+/, "") || "env";
  return `agentrl/env-${name}`;
}

/** Content hash of the build: the base image id plus every context file's path and bytes. */
export function contextHash(dir: string, baseId: string, dockerfile = "Dockerfile"): string {
  const h = createHash("sha256").update(`base:${baseId}\ndockerfile:${dockerfile}\n`);
  for (const rel of contextFiles(dir)) {
    h.update(`${rel}\0`);
    h.update(fs.readFileSync(path.join(dir, rel)));
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

interface BuildMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

async function followBuild(docker: Docker, stream: NodeJS.ReadableStream, dockerfilePath: string, progress: ProgressFn): Promise<void> {
  let lastStep = "";
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: BuildMessage[]) => {
        if (err) return reject(new ImageBuildError(`building ${dockerfilePath} failed: ${err.message}`));
        const failed = output.find((m) => m.error);
        if (failed) {
          const msg = failed.errorDetail?.message ?? failed.error ?? "unknown error";
          return reject(new ImageBuildError(`building ${dockerfilePath} failed${lastStep ? ` at ${lastStep}` : ""}: ${msg.trim()}`));
        }
        resolve();
      },
      (m: BuildMessage) => {
        const text = m.stream?.trim();
        if (!text) return;
        if (/^Step \d+\/\d+ :/.test(text)) lastStep = `"${text}"`;
        for (const line of text.split("\n")) progress(`  ${line}`);
      },
    );
  });
}

/**
 * Builds an environment's image from `dir/Dockerfile` (which starts `ARG BASE_IMAGE` /
 * `FROM ${BASE_IMAGE}`), tagged by content hash: unchanged sources never rebuild.
 */
export async function ensureEnvImage(dir: string, opts: { progress?: ProgressFn; dockerfile?: string } = {}): Promise<string> {
  const progress = opts.progress ?? (() => {});
  const dockerfile = opts.dockerfile ?? "Dockerfile";
  const abs = path.resolve(dir);
  const dockerfilePath = path.join(abs, dockerfile);
  if (!fs.existsSync(dockerfilePath)) {
    throw new ImageBuildError(`no ${dockerfile} in ${abs}. Fix: add one starting with \`ARG BASE_IMAGE\` and \`FROM \${BASE_IMAGE}\`, or use the base image.`);
  }
  const text = fs.readFileSync(dockerfilePath, "utf8");
  if (!/^\s*FROM\s+\$\{?BASE_IMAGE\}?/im.test(text)) {
    throw new ImageBuildError(
      `${dockerfilePath} must build FROM the offline base (no registry can be pulled from). Fix: start it with \`ARG BASE_IMAGE\` and \`FROM \${BASE_IMAGE}\`.`,
    );
  }
  const base = await ensureBaseImage({ progress });
  const { docker } = await connectDocker();
  const baseId = (await docker.getImage(base).inspect()).Id;
  const hash = contextHash(abs, baseId, dockerfile);
  const ref = `${envImageRepo(abs)}:${hash}`;
  try {
    await docker.getImage(ref).inspect();
    return ref;
  } catch {
    // not built yet
  }
  progress(`building ${ref} from ${dockerfilePath}`);
  const stream = await docker.buildImage(
    { context: abs, src: contextFiles(abs) },
    {
      t: ref,
      dockerfile,
      buildargs: { BASE_IMAGE: base },
      labels: { "agentrl.managed": "1", "agentrl.image": "env", "agentrl.hash": hash, "agentrl.source": abs },
      rm: true,
      forcerm: true,
      pull: false,
    } as unknown as Docker.ImageBuildOptions,
  );
  await followBuild(docker, stream, dockerfilePath, progress);
  return ref;
}
