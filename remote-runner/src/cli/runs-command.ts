import type { Command } from "commander";
import { RunnerClient } from "../api/client.js";
import { resolveClientToken, resolveRunnerUrl } from "./runner-address.js";
import { fmt, table } from "./run-options.js";

export function registerRunsCommand(program: Command): void {
  program
    .command("runs")
    .description("list the runs of a runner (through its API)")
    .option("--runner <url>", "runner URL (default AGENTRL_RUNNER or http://127.0.0.1:7420); token from AGENTRL_TOKEN")
    .option("--json", "print the runs as JSON")
    .action(async (opts: { runner?: string; json?: boolean }) => {
      const client = new RunnerClient(resolveRunnerUrl(opts.runner), resolveClientToken());
      const { items } = await client.listRuns();
      if (opts.json) return console.log(JSON.stringify(items));
      if (items.length === 0) return console.log("no runs yet; start one with `agentrl remote rollout ENV_DIR --policy ...`");
      const rows = items.map((r) => [
        r.id,
        r.status,
        r.envName,
        r.summary ? `${r.summary.trajectories}/${r.summary.episodes}` : "",
        fmt(r.summary?.meanReward),
        new Date(r.createdAt).toISOString().replace("T", " ").slice(0, 19),
        r.error ? r.error.split("\n")[0]?.slice(0, 60) ?? "" : "",
      ]);
      console.log(table(["run", "status", "env", "done", "mean reward", "created (UTC)", "error"], rows, { leftAlign: true }));
    });
}
