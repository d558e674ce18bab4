/**
 * `agentrl bench swe`: episode setup and scoring of the swe kind (repository image built once per
 * environment, cached by content hash) side by side with the naive way a user would otherwise write:
 * every episode clones the repository afresh and installs its toolchain and dependencies (an image
 * built without cache), and scoring does the same again before running the hidden tests.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import type { Task } from "@agentrl/protocol";
import { connectDocker } from "../remote-runner/src/docker/engine.js";
import { ensureBaseImage } from "../remote-runner/src/images/base.js";
import { git } from "../remote-runner/src/envs/kinds/swe/git-env.js";
import { prepareSweTask, sweDockerfile } from "../remote-runner/src/envs/kinds/swe/image.js";
import { sweInstanceOf, SWE_REPO_DIR, type SweInstance } from "../remote-runner/src/envs/kinds/swe/instance.js";
import { scoreInFreshContainer } from "../remote-runner/src/envs/kinds/swe/scorer.js";
import { DockerSandboxProvider } from "../remote-runner/src/sandbox/docker-provider.js";
import type { Sandbox } from "../remote-runner/src/sandbox/types.js";
import { ratio, summarize, type Summary } from "./stats.js";

const LABELS = { "agentrl.bench": "swe" };

export interface SweBenchResult {
  tasks: number;
  /** Preparing each environment once per run: repository cache and commit check, hidden tests checked to apply, image found by content hash (built only the first time ever). */
  prepare_per_run_ms: Summary;
  setup_cached_ms: Summary;
  baseline_setup_fresh_clone_install_ms: Summary;
  scoring_ms: Summary;
  baseline_scoring_fresh_clone_install_ms: Summary;
  ratios: { setup_naive_vs_cached: number; scoring_naive_vs_ours: number };
  all_resolved: { ours: boolean; baseline: boolean };
  machine: { cpus: number };
}

export interface SweBenchOptions {
  envDir: string;
  /** Episodes timed the cached way (spread over the tasks). */
  samples?: number;
  /** Episodes timed the naive way (each builds an image from scratch: slow). */
  naiveSamples?: number;
  log?: (line: string) => void;
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const failed = out.find((m) => m.error);
      if (err || failed) reject(new Error(`naive image build failed: ${err?.message ?? failed?.error}`));
      else resolve();
    }),
  );
}

/** The naive episode setup: a fresh clone, the tree at base_commit, toolchain and install from scratch (no build cache), a container. */
async function naiveSetup(docker: Docker, provider: DockerSandboxProvider, base: string, inst: SweInstance, repoUrl: string): Promise<{ sb: Sandbox; image: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-bench-swe-"));
  try {
    await git().raw(["clone", "--quiet", repoUrl, path.join(dir, "clone")]);
    await git(path.join(dir, "clone")).raw(["archive", "--format=tar", `--output=${path.join(dir, "repo.tar")}`, inst.base_commit]);
    fs.rmSync(path.join(dir, "clone"), { recursive: true, force: true });
    fs.writeFileSync(path.join(dir, "Dockerfile"), sweDockerfile(inst));
    const image = `agentrl-bench/swe-naive:${randomBytes(4).toString("hex")}`;
    const stream = await docker.buildImage({ context: dir, src: ["Dockerfile", "repo.tar"] }, { t: image, nocache: true, rm: true, forcerm: true, pull: false, buildargs: { BASE_IMAGE: base }, labels: { ...LABELS } } as unknown as Docker.ImageBuildOptions);
    await follow(docker, stream);
    const sb = await provider.create({ image, workdir: SWE_REPO_DIR, labels: LABELS });
    return { sb, image };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function applyAndTest(sb: Sandbox, inst: SweInstance): Promise<boolean> {
  await sb.writeFile("/tmp/gold.patch", inst.patch);
  await sb.writeFile("/tmp/test.patch", inst.test_patch);
  const ids = [...inst.FAIL_TO_PASS, ...inst.PASS_TO_PASS];
  const files = [...new Set(ids.map((i) => i.split("::")[0]))].join(" ");
  const r = await sb.exec({ cmd: `git apply /tmp/gold.patch && git apply /tmp/test.patch && ${inst.test_cmd} ${files}`, timeoutMs: inst.test_timeout_ms });
  return r.exitCode === 0;
}

export async function runSweBench(opts: SweBenchOptions): Promise<SweBenchResult> {
  const log = opts.log ?? (() => {});
  const samples = opts.samples ?? 20;
  const naiveSamples = opts.naiveSamples ?? 3;
  const tasks = fs
    .readFileSync(path.join(opts.envDir, "tasks.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Task);
  const insts = tasks.map((t) => sweInstanceOf(t));
  const provider = await DockerSandboxProvider.connect();
  const { docker } = await connectDocker();
  const base = await ensureBaseImage({ progress: log });

  log(`preparing ${insts.length} environments (cached after the first time)`);
  const first: number[] = [];
  const prepared = [];
  for (const inst of insts) {
    const t0 = performance.now();
    prepared.push(await prepareSweTask(inst, { baseDir: opts.envDir, progress: log }));
    first.push(performance.now() - t0);
  }

  const setup: number[] = [];
  const scoring: number[] = [];
  let oursResolved = true;
  log(`timing ${samples} episodes the cached way`);
  for (let i = 0; i < samples; i++) {
    const inst = insts[i % insts.length] as SweInstance;
    const t0 = performance.now();
    // What the swe kind does per episode: look the task's image up (repo cache + content hash), start a sandbox.
    const p = await prepareSweTask(inst, { baseDir: opts.envDir });
    const sb = await provider.create({ image: p.image, workdir: SWE_REPO_DIR, labels: LABELS });
    setup.push(performance.now() - t0);
    await sb.destroy();
    const s0 = performance.now();
    const score = await scoreInFreshContainer({ provider, image: p.image, inst, patch: inst.patch, labels: LABELS });
    scoring.push(performance.now() - s0);
    oursResolved &&= score.resolved;
  }

  const naiveSetupMs: number[] = [];
  const naiveScoringMs: number[] = [];
  let naiveResolved = true;
  log(`timing ${naiveSamples} episodes the naive way (fresh clone and install each time)`);
  for (let i = 0; i < naiveSamples; i++) {
    const inst = insts[i % insts.length] as SweInstance;
    const url = (prepared[i % insts.length] as { repoUrl: string }).repoUrl;
    const t0 = performance.now();
    const a = await naiveSetup(docker, provider, base, inst, url);
    naiveSetupMs.push(performance.now() - t0);
    await a.sb.destroy();
    await docker.getImage(a.image).remove({ force: true }).catch(() => {});
    const s0 = performance.now();
    const b = await naiveSetup(docker, provider, base, inst, url);
    naiveResolved &&= await applyAndTest(b.sb, inst);
    naiveScoringMs.push(performance.now() - s0);
    await b.sb.destroy();
    await docker.getImage(b.image).remove({ force: true }).catch(() => {});
    log(`  naive episode ${i + 1}: setup ${Math.round(naiveSetupMs[i] as number)} ms, scoring ${Math.round(naiveScoringMs[i] as number)} ms`);
  }
  await provider.removeByLabels(LABELS);

  const r = {
    tasks: insts.length,
    prepare_per_run_ms: summarize(first),
    setup_cached_ms: summarize(setup),
    baseline_setup_fresh_clone_install_ms: summarize(naiveSetupMs),
    scoring_ms: summarize(scoring),
    baseline_scoring_fresh_clone_install_ms: summarize(naiveScoringMs),
  };
  return {
    ...r,
    ratios: {
      setup_naive_vs_cached: ratio(r.baseline_setup_fresh_clone_install_ms.p50, r.setup_cached_ms.p50),
      scoring_naive_vs_ours: ratio(r.baseline_scoring_fresh_clone_install_ms.p50, r.scoring_ms.p50),
    },
    all_resolved: { ours: oursResolved, baseline: naiveResolved },
    machine: { cpus: os.cpus().length },
  };
}
