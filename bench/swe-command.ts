import path from "node:path";
import type { Command } from "commander";
import { runSweBench } from "./swe.js";

/** `agentrl bench swe`: registered from the bench command group. */
export function registerSweBench(bench: Command): void {
  bench
    .command("swe")
    .description("SWE episode setup (cached repository image) and scoring (fresh container, hidden tests) vs a fresh clone and install per episode")
    .option("--json", "print one JSON object")
    .option("--env <dir>", "a swe environment folder", "examples/swe-mini")
    .option("--samples <n>", "episodes timed the cached way", (v) => Number(v), 20)
    .option("--naive-samples <n>", "episodes timed the naive way (slow: each builds an image from scratch)", (v) => Number(v), 3)
    .action(async (opts: { json?: boolean; env: string; samples: number; naiveSamples: number }) => {
      const r = await runSweBench({ envDir: path.resolve(opts.env), samples: opts.samples, naiveSamples: opts.naiveSamples, log: (l) => console.error(l) });
      if (opts.json) return console.log(JSON.stringify(r));
      const row = (name: string, ours: number, base: number, x: number) => console.log(`${name.padEnd(22)} ${`${ours} ms`.padStart(12)} ${`${base} ms`.padStart(14)} ${`${x}×`.padStart(8)}`);
      console.log(`${"figure (p50)".padEnd(22)} ${"agentrl".padStart(12)} ${"naive".padStart(14)} ${"ratio".padStart(8)}`);
      row("episode setup", r.setup_cached_ms.p50, r.baseline_setup_fresh_clone_install_ms.p50, r.ratios.setup_naive_vs_cached);
      row("scoring", r.scoring_ms.p50, r.baseline_scoring_fresh_clone_install_ms.p50, r.ratios.scoring_naive_vs_ours);
      console.log(`preparation per environment and run p50 ${r.prepare_per_run_ms.p50} ms (image built only the first time); ${r.tasks} tasks; gold patch resolved: ours ${r.all_resolved.ours}, naive ${r.all_resolved.baseline}`);
    });
}
