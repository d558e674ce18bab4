import type { Command } from "commander";
import { SingleBar } from "cli-progress";
import type { CreateRunRequest, RunStatusEvent } from "@agentrl/protocol";
import { RunnerClient } from "../api/client.js";
import { resolveClientToken, resolveRunnerUrl } from "./runner-address.js";
import { formatEvent, isRunEnd } from "../api/event-format.js";
import { bundleEnv } from "../envs/bundle.js";
import { loadEnvironment } from "../envs/load.js";
import { intArg, policyConfigFrom, type PolicyFlags } from "./run-options.js";
import { summaryTable } from "./rollout-command.js";

interface RemoteRolloutFlags extends PolicyFlags {
  runner?: string;
  tasks?: number;
  group: number;
  concurrency: number;
  maxTurns?: number;
  name?: string;
  detach?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export function registerRemoteCommand(program: Command): void {
  const remote = program.command("remote").description("work with a remote runner through its API (`agentrl serve` on the GPU machine)");
  remote
    .command("rollout")
    .description("bundle and upload an environment folder, start a rollout run on the runner, and follow it")
    .argument("<env-dir>", "environment folder (env.ts + tasks.jsonl)")
    .option("--runner <url>", "runner URL (default AGENTRL_RUNNER or http://127.0.0.1:7420); token from AGENTRL_TOKEN")
    .requiredOption("--policy <spec>", "policy as the runner sees it: an OpenAI-compatible URL, scripted:FILE (inside the env folder), or noop")
    .option("--tasks <n>", "use the first N tasks (default: every task once)", intArg("--tasks"))
    .option("--group <g>", "samples per task (GRPO group size)", intArg("--group"), 1)
    .option("--concurrency <c>", "episodes in flight (the runner's global sandbox limit still applies)", intArg("--concurrency"), 4)
    .option("--max-turns <n>", "override the environment's max turns", intArg("--max-turns"))
    .option("--model <name>", "model name to request")
    .option("--temperature <t>", "sampling temperature", Number)
    .option("--max-tokens <n>", "completion token limit", intArg("--max-tokens"))
    .option("--name <name>", "run name")
    .option("--detach", "start the run and return; follow later with `agentrl logs -f RUN`")
    .option("--verbose", "print every event instead of a progress bar")
    .option("--json", "print one JSON object as the last line of stdout")
    .action(async (envDir: string, flags: RemoteRolloutFlags) => {
      const client = new RunnerClient(resolveRunnerUrl(flags.runner), resolveClientToken());
      // Load locally first: env errors show here with file:line, before anything is uploaded.
      const env = await loadEnvironment(envDir);
      const bundle = await bundleEnv(env.dir);
      const uploaded = await client.uploadEnvironment(bundle.tarGz, env.info.name);
      process.stderr.write(`uploaded ${env.info.name} (${bundle.files.length} files, ${uploaded.bytes} bytes, sha256 ${uploaded.sha256.slice(0, 12)}${uploaded.created ? "" : ", already on the runner"})\n`);
      const req: CreateRunRequest = { env: uploaded.sha256, policy: policyConfigFrom(flags), group: flags.group, concurrency: flags.concurrency, kind: "rollout" };
      if (flags.tasks !== undefined) req.tasks = flags.tasks;
      if (flags.maxTurns !== undefined) req.maxTurns = flags.maxTurns;
      if (flags.name) req.name = flags.name;
      const run = await client.createRun(req);
      process.stderr.write(`run ${run.id} started on ${client.baseUrl}\n`);
      if (flags.detach) {
        console.log(flags.json ? JSON.stringify({ run_id: run.id, env_sha256: uploaded.sha256 }) : run.id);
        return;
      }
      const total = (flags.tasks ?? env.tasks.length) * flags.group;
      const bar = flags.verbose ? null : new SingleBar({ format: "remote rollout {bar} {value}/{total} | errors {errors} | {eta_formatted} left", stream: process.stderr, hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 });
      bar?.start(total, 0, { errors: 0 });
      let done = 0;
      let errors = 0;
      // Assigned in the callback: typed so that TypeScript does not narrow it to `null` here.
      let last = null as RunStatusEvent | null;
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      await client.follow({
        runId: run.id,
        signal: ac.signal,
        onEvent: (e) => {
          if (flags.verbose) console.log(formatEvent(e));
          if (e.type === "trajectory.finished") {
            done++;
            if (e.data.error) errors++;
            bar?.update(done, { errors });
          }
          if (isRunEnd(e)) {
            last = e.data;
            return false;
          }
          return true;
        },
        onReconnect: (after, why) => process.stderr.write(`\nstream interrupted (${why}); resuming after seq ${after}\n`),
      });
      bar?.stop();
      const end = last;
      if (!end) {
        process.stderr.write(`stopped following; the run goes on. Follow it again with \`agentrl logs -f ${run.id}\`\n`);
        return;
      }
      if (end.summary) console.log(summaryTable(run.id, end.summary));
      if (end.status !== "finished") {
        process.exitCode = 1;
        process.stderr.write(`run ${run.id} ${end.status}${end.error ? `: ${end.error}` : ""}\n`);
      }
      if (flags.json) console.log(JSON.stringify({ run_id: run.id, status: end.status, trajectories: end.summary?.trajectories ?? null, errors: end.summary?.errors ?? null, mean_reward: end.summary?.meanReward ?? null }));
    });
}
