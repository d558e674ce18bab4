import type { Command } from "commander";
import { runSandboxBench } from "../../../bench/sandbox.js";

/** `agentrl bench <what>`: benchmarks (not tests) that print figures beside their baselines. */
export function registerBenchCommand(program: Command): Command {
  const bench = program.command("bench").description("benchmarks: figures side by side with the baseline a user would otherwise use");
  bench
    .command("sandbox")
    .description("sandbox start, warm acquire, exec, 10 MB files, 32 concurrent sandboxes vs docker run/exec/cp")
    .option("--json", "print one JSON object")
    .option("--samples <n>", "samples per figure", (v) => Number(v), 20)
    .option("--concurrency <n>", "concurrent sandboxes", (v) => Number(v), 32)
    .option("--steps <n>", "steps per concurrent sandbox", (v) => Number(v), 20)
    .action(async (opts: { json?: boolean; samples: number; concurrency: number; steps: number }) => {
      const r = await runSandboxBench({ samples: opts.samples, concurrency: opts.concurrency, stepsEach: opts.steps, log: (l) => console.error(l) });
      if (opts.json) return console.log(JSON.stringify(r));
      const row = (name: string, ours: string, base: string, x: number) => console.log(`${name.padEnd(26)} ${ours.padStart(14)} ${base.padStart(16)} ${`${x}×`.padStart(8)}`);
      console.log(`${"figure".padEnd(26)} ${"agentrl".padStart(14)} ${"baseline".padStart(16)} ${"ratio".padStart(8)}`);
      row("episode start p50 (warm)", `${r.warm_acquire_ms.p50} ms`, `${r.baseline_docker_run_ms.p50} ms run`, r.ratios.warm_acquire_vs_docker_run);
      row("exec round trip p50", `${r.exec_ms.p50} ms`, `${r.baseline_docker_exec_ms.p50} ms exec`, r.ratios.exec_vs_docker_exec);
      row("10 MB round trip p50", `${r.file_10mb_ms.p50} ms`, `${r.baseline_docker_cp_10mb_ms.p50} ms cp`, r.ratios.file_10mb_vs_docker_cp);
      row(`${r.concurrent.n}×${r.concurrent.steps_each} steps`, `${r.concurrent.steps_per_s}/s`, `${r.baseline_concurrent.steps_per_s}/s`, r.ratios.concurrent_steps_vs_docker_exec);
      console.log(`cold start p50 ${r.cold_start_ms.p50} ms; concurrent ok=${r.concurrent.ok} errors=${r.concurrent.errors}`);
    });
  return bench;
}
