import type { Command } from "commander";
import { runRolloutBench } from "../../../bench/rollout.js";
import { runGuiBench } from "../../../bench/gui.js";
import { runEnvHostCost } from "../../../bench/env-host.js";
import { runSandboxBench } from "../../../bench/sandbox.js";
import { runHardeningCost } from "../../../bench/sandbox-hardening.js";
import { runAsyncBench } from "../../../bench/async-rollouts.js";
import { ensureBaseImage } from "../images/base.js";
import { registerSweBench } from "../../../bench/swe-command.js";
import { registerApiBenchCommands } from "./bench-api-command.js";

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
    .option("--hardening", "only what the hardening costs: hardened vs unhardened sandboxes, alternated in rounds")
    .option("--rounds <n>", "rounds of the hardening comparison", (v) => Number(v), 4)
    .action(async (opts: { json?: boolean; samples: number; concurrency: number; steps: number; hardening?: boolean; rounds: number }) => {
      if (opts.hardening) {
        const h = await runHardeningCost({ image: await ensureBaseImage(), rounds: opts.rounds, samples: opts.samples * 2, log: (l) => console.error(l) });
        if (opts.json) return console.log(JSON.stringify(h));
        console.log(`${"figure (p50)".padEnd(22)} ${"hardened".padStart(10)} ${"before".padStart(10)} ${"ratio (min–max over rounds)".padStart(30)}`);
        const row = (name: string, k: "exec_ms" | "warm_acquire_ms" | "cold_start_ms", r: keyof typeof h.ratios) =>
          console.log(`${name.padEnd(22)} ${`${h.hardened[k].p50} ms`.padStart(10)} ${`${h.unhardened[k].p50} ms`.padStart(10)} ${`${h.ratios[r].p50}× (${h.ratios[r].min}–${h.ratios[r].max})`.padStart(30)}`);
        row("command round trip", "exec_ms", "exec");
        row("warm acquire", "warm_acquire_ms", "warm_acquire");
        row("cold start", "cold_start_ms", "cold_start");
        return;
      }
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
  bench
    .command("rollout")
    .description("rollout episodes/s and steps/s at concurrency 1, 4, 16, 32 (scripted calculator reference, Docker tools), engine overhead per step, store writes/s")
    .option("--json", "print one JSON object")
    .option("--episodes <n>", "episodes per concurrency level (at least 4 × concurrency)", (v) => Number(v), 48)
    .option("--concurrency <list>", "comma-separated concurrency levels", "1,4,16,32")
    .action(async (opts: { json?: boolean; episodes: number; concurrency: string }) => {
      const levels = opts.concurrency.split(",").map((x) => Number(x.trim()));
      if (levels.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`--concurrency must be whole numbers ≥ 1, e.g. 1,4,16,32 (got "${opts.concurrency}")`);
      const r = await runRolloutBench({ concurrency: levels, episodes: opts.episodes, log: (l) => console.error(l) });
      if (opts.json) return console.log(JSON.stringify(r));
      console.log(`${"concurrency".padEnd(12)} ${"episodes".padStart(8)} ${"episodes/s".padStart(11)} ${"steps/s".padStart(9)} ${"overhead/step p50".padStart(18)} ${"p95".padStart(7)} ${"sandbox/step p50".padStart(17)} ${"errors".padStart(7)}`);
      for (const l of [...r.levels, r.engine_only]) {
        const name = l === r.engine_only ? "32 (no sbx)" : String(l.concurrency);
        console.log(`${name.padEnd(12)} ${String(l.episodes).padStart(8)} ${String(l.episodes_per_s).padStart(11)} ${String(l.steps_per_s).padStart(9)} ${`${l.engine_overhead_per_step_ms.p50} ms`.padStart(18)} ${`${l.engine_overhead_per_step_ms.p95}`.padStart(7)} ${`${l.sandbox_ms_per_step.p50} ms`.padStart(17)} ${String(l.errors).padStart(7)}`);
      }
      console.log(`store: ${r.store.writes_per_s} trajectories/s wall, ${r.store.writes_per_cpu_s} per CPU-second (${r.store.bytes_per_trajectory} bytes each, target ≥ ${r.store.target_writes_per_s}: ${r.store.ok ? "ok" : "MISSED"})`);
    });
  bench
    .command("gui")
    .description("GUI desktop ready time and one action + screenshot vs docker exec xdotool + screenshot")
    .option("--json", "print one JSON object")
    .option("--samples <n>", "samples per figure", (v) => Number(v), 10)
    .option("--root <dir>", "repository root (the GUI image recipe and examples/gui-form)", process.cwd())
    .option("--apps", "the desktop image with Chromium, LibreOffice and Mousepad; adds each app's launch and action + screenshot")
    .action(async (opts: { json?: boolean; samples: number; root: string; apps?: boolean }) => {
      const r = await runGuiBench({ samples: opts.samples, root: opts.root, log: (l) => console.error(l), variant: opts.apps ? "apps" : "desktop" });
      if (opts.json) return console.log(JSON.stringify(r));
      console.log(`desktop ready p50: ${r.desktop_ready_ms.p50} ms from the warm pool, ${r.desktop_ready_cold_ms.p50} ms cold; app window ${r.app_ready_ms.p50} ms`);
      console.log(`action + screenshot p50: ${r.action_screenshot_ms.p50} ms (p95 ${r.action_screenshot_ms.p95}) vs docker exec ${r.baseline_exec_action_screenshot_ms.p50} ms: ${r.ratios.action_screenshot_vs_docker_exec}x`);
      for (const [name, a] of Object.entries(r.apps ?? {})) {
        console.log(
          `${name}: desktop ready ${a.desktop_ready_ms.p50} ms p50, window ${a.app_ready_ms.p50} ms p50; action + screenshot p50 ${a.action_screenshot_ms.p50} ms (p95 ${a.action_screenshot_ms.p95}), with the AT-SPI tree ${a.action_screenshot_a11y_ms.p50} ms`,
        );
      }
      console.log(`load average (1 min): ${r.load_average.before.toFixed(1)} before, ${r.load_average.after.toFixed(1)} after`);
    });
  bench
    .command("env-host")
    .description("what running bundle code in its own process costs: a tool call via the env host vs in-process, opening an episode, a cold start")
    .option("--json", "print one JSON object")
    .option("--rounds <n>", "alternated rounds", (v) => Number(v), 5)
    .option("--calls <n>", "tool calls per round and side", (v) => Number(v), 200)
    .action(async (opts: { json?: boolean; rounds: number; calls: number }) => {
      const r = await runEnvHostCost({ rounds: opts.rounds, calls: opts.calls, log: (l) => console.error(l) });
      if (opts.json) return console.log(JSON.stringify(r));
      console.log(`tool call p50: ${r.tool_call_us.host.p50} µs via the env host (p95 ${r.tool_call_us.host.p95}) vs ${r.tool_call_us.in_process.p50} µs in-process: ${r.tool_call_ratio.p50}× time (${r.tool_call_ratio.min}–${r.tool_call_ratio.max} over ${r.rounds} rounds)`);
      console.log(`open an episode (initState + prompt) p50 ${r.open_episode_ms.p50} ms; cold start (spawn + import + describe) p50 ${r.cold_start_ms.p50} ms`);
      console.log(`isolation: network namespace ${r.isolation.networkNamespace ? "on" : "off"}, dies with the runner ${r.isolation.diesWithRunner ? "yes" : "no"}`);
    });
  bench
    .command("async")
    .description("asynchronous rollouts (--max-staleness 1) vs the synchronous loop: steps per hour and final reward, runs alternated, on a long-tail env")
    .option("--json", "print one JSON object")
    .option("--root <dir>", "repository root (examples/addition)", process.cwd())
    .option("--rounds <n>", "rounds of one sync and one async run each", (v) => Number(v), 2)
    .option("--steps <n>", "steps per run (the first is warm-up)", (v) => Number(v), 5)
    .option("--group <n>", "samples per task", (v) => Number(v), 8)
    .option("--tasks-per-step <n>", "tasks per step", (v) => Number(v), 8)
    .action(async (opts: { json?: boolean; root: string; rounds: number; steps: number; group: number; tasksPerStep: number }) => {
      if (!Number.isInteger(opts.steps) || opts.steps < 2) throw new Error(`--steps must be a whole number ≥ 2 (the first step is warm-up), got ${opts.steps}`);
      const r = await runAsyncBench({ ...opts, log: (l) => console.error(l) });
      if (opts.json) return console.log(JSON.stringify(r));
      for (const side of ["sync", "async"] as const) console.log(`${side.padEnd(6)} steps/hour p50 ${r[side].steps_per_hour.p50} (${r[side].steps_per_hour.min}–${r[side].steps_per_hour.max}); final reward p50 ${r[side].final_reward.p50}`);
      console.log(`async ÷ sync: ${r.ratio.p50}× (per round ${r.ratio_per_round.join(", ")}); load ${r.load_avg_1m_start} → ${r.load_avg_1m_end}`);
    });
  registerApiBenchCommands(bench);
  registerSweBench(bench);
  return bench;
}
