import type { Command } from "commander";
import { loadEnvironment } from "../envs/load.js";
import { preflight } from "../rollout/preflight.js";
import { holdHomeLock } from "../api/pid-lock.js";
import { homeDir } from "../config/paths.js";
import { openStore } from "../store/store.js";
import { fmt, intArg, numArg, table } from "./run-options.js";

export function registerPreflightCommand(program: Command): void {
  program
    .command("preflight")
    .description("calibrate the rewards before spending GPU time: the noop policy must score 0, the reference solution must score high, and lazy policies and the env's adversaries must not earn reward")
    .argument("<env-dir>", "environment folder (with a scripted reference file whose name contains `reference`)")
    .option("--tasks <n>", "check only the first N tasks", intArg("--tasks"))
    .option("--threshold <x>", "minimum mean reward of the reference", numArg("--threshold"), 0.9)
    .option("--adversary-threshold <x>", "most reward any lazy policy or adversary trajectory may get", numArg("--adversary-threshold"), 0.5)
    .option("--adversary-tasks <n>", "tasks each lazy policy and adversary runs on", intArg("--adversary-tasks"), 8)
    .option("--concurrency <c>", "episodes in flight", intArg("--concurrency"), 4)
    .option("--json", "print the report as one JSON object (last line)")
    .action(async (envDir: string, opts: { tasks?: number; threshold: number; adversaryThreshold: number; adversaryTasks: number; concurrency: number; json?: boolean }) => {
      const env = await loadEnvironment(envDir);
      holdHomeLock(homeDir());
      const store = openStore();
      try {
        const report = await preflight(store, env, { tasks: opts.tasks, threshold: opts.threshold, adversaryThreshold: opts.adversaryThreshold, adversaryTasks: opts.adversaryTasks, concurrency: opts.concurrency, log: (l) => process.stderr.write(`${l}\n`) });
        console.log(
          table(
            ["policy", "run", "trajectories", "errors", "mean", "min", "max", "expected", "result"],
            report.checks.map((c) => [c.policy, c.runId, c.trajectories, c.errors, fmt(c.mean), fmt(c.min), fmt(c.max), c.expected, c.ok ? "ok" : "FAIL"]),
          ),
        );
        for (const p of report.problems) console.log(`✗ ${p}`);
        console.log(report.ok ? "preflight passed" : "preflight FAILED");
        if (opts.json) console.log(JSON.stringify(report));
        if (!report.ok) process.exitCode = 1;
      } finally {
        store.close();
      }
    });
}
