import path from "node:path";
import type { Command } from "commander";
import { loadEnvironment } from "../envs/load.js";
import { rescoreRun } from "../rewards/rescore.js";
import { resolveEnvImage } from "../rollout/image.js";
import { localSandboxes } from "../rollout/local.js";
import { openStore } from "../store/store.js";
import { advantageLabel } from "@agentrl/protocol";
import { fmt, table } from "./run-options.js";

export function registerRescoreCommand(program: Command): void {
  program
    .command("rescore")
    .description("re-run the (changed) rewards over a stored run and show each trajectory's score and advantage before and after")
    .argument("<run-id>", "the run to rescore")
    .option("--env <dir>", "environment folder with the new rewards (default: the run's own env folder)")
    .option("--save", "store the new rewards and advantages")
    .option("--json", "print one JSON object as the last line of stdout")
    .action(async (runId: string, opts: { env?: string; save?: boolean; json?: boolean }) => {
      const store = openStore();
      const sandboxes = await localSandboxes({ warm: 0 });
      try {
        const run = store.getRun(runId);
        if (!run) throw new Error(`no run "${runId}" in ${store.home}. Fix: use a run id printed by \`agentrl rollout\``);
        const env = await loadEnvironment(opts.env ?? run.config.envDir);
        const image = await resolveEnvImage(env, (l) => process.stderr.write(`${l}\n`));
        const report = await rescoreRun(store, runId, { env, sandboxes: sandboxes.pool, image, save: opts.save });
        const rows = report.rows.map((r) => [r.id, r.taskId, fmt(r.before), fmt(r.after), r.before !== null && r.after !== null ? fmt(r.after - r.before) : "n/a", fmt(r.advantageBefore, 2), fmt(r.advantageAfter, 2), r.skipped ?? r.errors.join("; ")]);
        console.log(table(["trajectory", "task", "before", "after", "delta", "adv before", "adv after", "note"], rows));
        console.log(
          `\n${report.rescored} of ${report.trajectories} trajectories rescored with ${path.basename(env.dir)} (bundle ${env.envHash.slice(0, 12)}); ` +
            `${report.changed} changed; mean ${fmt(report.meanBefore)} → ${fmt(report.meanAfter)}${report.saved ? "; saved" : " (not saved; --save stores them)"}`,
        );
        console.log(`advantages: before ${advantageLabel(report.advantagesBefore)}; after ${advantageLabel({ estimator: report.estimator, by: "runner" })}`);
        if (opts.json) console.log(JSON.stringify(report));
      } finally {
        await sandboxes.close();
        store.close();
      }
    });
}
