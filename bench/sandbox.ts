/**
 * `agentrl bench sandbox`: our sandbox layer side by side with what a user would write instead —
 * `docker run --rm` per episode and `docker exec` per step through the docker CLI — in one run.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { connectDocker } from "../remote-runner/src/docker/engine.js";
import { ensureBaseImage } from "../remote-runner/src/images/base.js";
import { DockerSandboxProvider } from "../remote-runner/src/sandbox/docker-provider.js";
import { SandboxPool } from "../remote-runner/src/sandbox/pool.js";
import type { Sandbox } from "../remote-runner/src/sandbox/types.js";
import { ratio, summarize, timeEach, type Summary } from "./stats.js";

const run = promisify(execFile);

export interface SandboxBenchResult {
  warm_acquire_ms: Summary;
  cold_start_ms: Summary;
  baseline_docker_run_ms: Summary;
  exec_ms: Summary;
  exec_dockerode_ms: Summary;
  baseline_docker_exec_ms: Summary;
  file_10mb_ms: Summary;
  baseline_docker_cp_10mb_ms: Summary;
  concurrent: { n: number; steps_each: number; ok: boolean; errors: number; steps_per_s: number; wall_s: number };
  baseline_concurrent: { n: number; steps_each: number; ok: boolean; errors: number; steps_per_s: number; wall_s: number };
  ratios: { warm_acquire_vs_docker_run: number; exec_vs_docker_exec: number; concurrent_steps_vs_docker_exec: number; file_10mb_vs_docker_cp: number };
  machine: { cpus: number; docker: string };
}

export interface SandboxBenchOptions {
  samples?: number;
  concurrency?: number;
  stepsEach?: number;
  log?: (line: string) => void;
}

/** The security flags a careful user would pass by hand, so the baseline does the same work. */
const SAFE_RUN_FLAGS = ["--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--user", "1000:1000", "--pids-limit", "256", "--memory", "512m"];

export async function runSandboxBench(opts: SandboxBenchOptions = {}): Promise<SandboxBenchResult> {
  const log = opts.log ?? (() => {});
  const n = opts.samples ?? 20;
  const conc = opts.concurrency ?? 32;
  const stepsEach = opts.stepsEach ?? 20;
  const image = await ensureBaseImage({ progress: log });
  const { endpoint, serverVersion } = await connectDocker();
  const docker = (...args: string[]) => run("docker", ["-H", endpoint.host, ...args], { maxBuffer: 64 << 20 });
  const provider = await DockerSandboxProvider.connect();
  const labels = { "agentrl.bench": "sandbox" };

  log("cold start (create + start + agent ready + first command)");
  const cold = await timeEach(Math.min(n, 10), async () => {
    const sb = await provider.create({ image, labels });
    await sb.exec({ cmd: "true" });
    await sb.destroy();
  });

  log("baseline: docker run --rm per episode");
  const baselineRun = await timeEach(Math.min(n, 10), () => docker("run", "--rm", ...SAFE_RUN_FLAGS, image, "true"));

  log("warm acquire from the pool");
  const pool = new SandboxPool(provider, { warm: 2 });
  const spec = { image, labels };
  const warm: number[] = [];
  for (let i = 0; i < n; i++) {
    await pool.prewarm(spec, 2); // refill outside the timed part: a warm pool refills between episodes
    const t0 = performance.now();
    const sb = await pool.acquire(spec);
    warm.push(performance.now() - t0);
    await pool.release(sb);
  }

  log("exec round trip: agent channel vs dockerode exec vs docker exec CLI");
  const sb = await pool.acquire(spec);
  await timeEach(10, () => sb.exec({ cmd: ["echo", "warmup"] }));
  const execAgent = await timeEach(n * 10, () => sb.exec({ cmd: ["echo", "hi"] }));
  const viaExec = await provider.create({ image, labels, channel: "exec" });
  const execDockerode = await timeEach(n * 2, () => viaExec.exec({ cmd: ["echo", "hi"] }));
  const baselineExec = await timeEach(n * 2, () => docker("exec", "-u", "1000:1000", sb.id, "echo", "hi"));
  await viaExec.destroy();

  log("10 MB file round trip: tar API vs docker cp");
  const blob = randomBytes(10 * 1024 * 1024);
  const file10 = await timeEach(5, async () => {
    await sb.writeFile("bench.bin", blob);
    const back = await sb.readFile("bench.bin");
    if (!back.equals(blob)) throw new Error("10 MB round trip corrupted the file");
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-bench-"));
  fs.writeFileSync(path.join(tmp, "in.bin"), blob);
  const baselineCp = await timeEach(5, async () => {
    await docker("cp", path.join(tmp, "in.bin"), `${sb.id}:/tmp/cp.bin`);
    await docker("cp", `${sb.id}:/tmp/cp.bin`, path.join(tmp, "out.bin"));
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  await pool.release(sb);
  await pool.close();

  log(`${conc} concurrent sandboxes × ${stepsEach} steps (ours)`);
  let errors = 0;
  const t0 = performance.now();
  const boxes: Sandbox[] = [];
  await Promise.all(
    Array.from({ length: conc }, async (_, i) => {
      const box = await provider.create({ image, labels });
      boxes.push(box);
      for (let s = 0; s < stepsEach; s++) {
        const r = await box.exec({ cmd: ["sh", "-c", `echo ${i}-${s}`] });
        if (r.exitCode !== 0 || r.stdout !== `${i}-${s}\n`) errors++;
      }
    }),
  ).catch(() => errors++);
  const wall = (performance.now() - t0) / 1000;
  await Promise.all(boxes.map((b) => b.destroy()));

  log(`${conc} concurrent containers × ${stepsEach} steps (baseline: docker run -d + docker exec CLI)`);
  let baseErrors = 0;
  const tb = performance.now();
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: conc }, async (_, i) => {
      const { stdout } = await docker("run", "-d", "--label", "agentrl.bench=baseline", ...SAFE_RUN_FLAGS, image, "sleep", "infinity");
      const id = stdout.trim();
      ids.push(id);
      for (let s = 0; s < stepsEach; s++) {
        const r = await docker("exec", id, "sh", "-c", `echo ${i}-${s}`);
        if (r.stdout !== `${i}-${s}\n`) baseErrors++;
      }
    }),
  ).catch(() => baseErrors++);
  const baseWall = (performance.now() - tb) / 1000;
  if (ids.length) await docker("rm", "-f", ...ids);

  const result: SandboxBenchResult = {
    warm_acquire_ms: summarize(warm),
    cold_start_ms: summarize(cold),
    baseline_docker_run_ms: summarize(baselineRun),
    exec_ms: summarize(execAgent),
    exec_dockerode_ms: summarize(execDockerode),
    baseline_docker_exec_ms: summarize(baselineExec),
    file_10mb_ms: summarize(file10),
    baseline_docker_cp_10mb_ms: summarize(baselineCp),
    concurrent: { n: conc, steps_each: stepsEach, ok: errors === 0, errors, steps_per_s: Math.round((conc * stepsEach) / wall), wall_s: Math.round(wall * 10) / 10 },
    baseline_concurrent: { n: conc, steps_each: stepsEach, ok: baseErrors === 0, errors: baseErrors, steps_per_s: Math.round((conc * stepsEach) / baseWall), wall_s: Math.round(baseWall * 10) / 10 },
    ratios: { warm_acquire_vs_docker_run: 0, exec_vs_docker_exec: 0, concurrent_steps_vs_docker_exec: 0, file_10mb_vs_docker_cp: 0 },
    machine: { cpus: os.cpus().length, docker: serverVersion },
  };
  result.ratios = {
    warm_acquire_vs_docker_run: ratio(result.baseline_docker_run_ms.p50, result.warm_acquire_ms.p50),
    exec_vs_docker_exec: ratio(result.baseline_docker_exec_ms.p50, result.exec_ms.p50),
    concurrent_steps_vs_docker_exec: ratio(result.concurrent.steps_per_s, result.baseline_concurrent.steps_per_s),
    file_10mb_vs_docker_cp: ratio(result.baseline_docker_cp_10mb_ms.p50, result.file_10mb_ms.p50),
  };
  return result;
}
