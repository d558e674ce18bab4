import type { Command } from "commander";
import { SingleBar } from "cli-progress";
import type { RunConfig, RunSummary } from "@agentrl/protocol";
import { oracleFor } from "../envs/kinds/registry.js";
import { loadEnvironment } from "../envs/load.js";
import { createPolicy } from "../policy/create.js";
import { runLocally } from "../rollout/local.js";
import { holdHomeLock } from "../api/pid-lock.js";
import { homeDir } from "../config/paths.js";
import { openStore } from "../store/store.js";
import { fmt, intArg, numArg, policyConfigFrom, table, type PolicyFlags } from "./run-options.js";

interface RolloutFlags extends PolicyFlags {
  tasks?: number;
  group: number;
  concurrency: number;
  maxTurns?: number;
  json?: boolean;
  name?: string;
}

export function summaryTable(runId: string, s: RunSummary): string {
  const rows: (string | number)[][] = [
    ["run", runId],
    ["trajectories", `${s.trajectories} / ${s.episodes}`],
    ["errors", `${s.errors} (agent/policy ${s.agentErrors}, environment ${s.envErrors ?? 0}, infra ${s.infraErrors}, reward ${s.rewardErrors}; infra retries ${s.infraRetries})`],
    ["mean reward", fmt(s.meanReward)],
    ...Object.entries(s.componentMeans).map(([k, v]) => [`  ${k}`, fmt(v)]),
    ["zero-variance groups", `${s.zeroVarianceGroups} / ${s.groups}`],
    ["turns / episode", fmt(s.meanTurns, 2)],
    ["tool calls / episode", fmt(s.meanToolCalls, 2)],
    ["episodes/s", fmt(s.episodesPerS, 2)],
    ["steps/s", fmt(s.stepsPerS, 2)],
    ["wall time", `${(s.durationMs / 1000).toFixed(1)} s`],
  ];
  return table(["", "value"], rows, { leftAlign: true });
}

export function registerRolloutCommand(program: Command): void {
  program
    .command("rollout")
    .description("run episodes of an environment (tasks × group) in Docker sandboxes and store the scored trajectories")
    .argument("<env-dir>", "environment folder (env.ts + tasks.jsonl)")
    .requiredOption("--policy <spec>", "policy: an OpenAI-compatible URL, scripted:FILE, oracle (each task's reference solution from its kind), or noop")
    .option("--tasks <n>", "use the first N tasks (default: every task once)", intArg("--tasks"))
    .option("--group <g>", "samples per task (GRPO group size)", intArg("--group"), 1)
    .option("--concurrency <c>", "episodes in flight", intArg("--concurrency"), 4)
    .option("--max-turns <n>", "override the environment's max turns", intArg("--max-turns"))
    .option("--model <name>", "model name to request (default: the server's first model)")
    .option("--stream", "stream completions")
    .option("--tool-format <f>", "native | hermes | auto (default auto)")
    .option("--temperature <t>", "sampling temperature", numArg("--temperature"))
    .option("--max-tokens <n>", "completion token limit", intArg("--max-tokens"))
    .option("--policy-timeout <ms>", "time limit per policy request", intArg("--policy-timeout"))
    .option("--retries <n>", "transport retries per policy request", intArg("--retries", 0))
    .option("--token-ids", "ask the server for token ids and logprobs (vLLM-compatible)")
    .option("--name <name>", "run name")
    .option("--json", "print one JSON object as the last line of stdout")
    .action(async (envDir: string, flags: RolloutFlags) => {
      const env = await loadEnvironment(envDir);
      const config: RunConfig = { envDir: env.dir, policy: policyConfigFrom(flags), group: flags.group, concurrency: flags.concurrency, kind: "rollout" };
      if (flags.tasks !== undefined) config.tasks = flags.tasks;
      if (flags.maxTurns !== undefined) config.maxTurns = flags.maxTurns;
      if (flags.name) config.name = flags.name;
      // Build the policy before anything starts so a bad --policy fails at once.
      const policy = createPolicy(config.policy, process.cwd(), { oracle: oracleFor(env) });
      const total = (flags.tasks ?? env.tasks.length) * flags.group;
      holdHomeLock(homeDir());
      const store = openStore();
      const bar = new SingleBar(
        { format: "rollout {bar} {value}/{total} | errors {errors} | mean reward {mean} | {eta_formatted} left", stream: process.stderr, hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 },
      );
      let errors = 0;
      let sum = 0;
      let scored = 0;
      bar.start(total, 0, { errors: 0, mean: "n/a" });
      try {
        const { runId, summary } = await runLocally(store, env, config, {
          policy,
          log: (l) => process.stderr.write(`${l}\n`),
          onTrajectory: (t, p) => {
            if (t.error || t.reward.errors.length) errors++;
            if (t.reward.total !== null) {
              sum += t.reward.total;
              scored++;
            }
            bar.update(p.done, { errors, mean: scored ? (sum / scored).toFixed(3) : "n/a" });
          },
        });
        bar.stop();
        console.log(summaryTable(runId, summary));
        if (flags.json) {
          console.log(JSON.stringify({ trajectories: summary.trajectories, errors: summary.errors, mean_reward: summary.meanReward, run_id: runId, episodes_per_s: Number(summary.episodesPerS.toFixed(3)) }));
        }
      } finally {
        bar.stop();
        store.close();
      }
    });
}
