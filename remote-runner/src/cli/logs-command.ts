import type { Command } from "commander";
import { RunnerClient } from "../api/client.js";
import { resolveClientToken, resolveRunnerUrl } from "./runner-address.js";
import { TERMINAL_STATUSES, formatEvent, isRunEnd } from "../api/event-format.js";
import { intArg } from "./run-options.js";

export function registerLogsCommand(program: Command): void {
  program
    .command("logs")
    .description("print a run's events (status, trajectories, metrics, logs); -f follows them live and resumes after disconnects")
    .argument("<run-id>", "the run")
    .option("-f, --follow", "keep streaming until the run ends")
    .option("--after <seq>", "start after this event sequence id", intArg("--after", 0), 0)
    .option("--runner <url>", "runner URL (default AGENTRL_RUNNER or http://127.0.0.1:7420); token from AGENTRL_TOKEN")
    .option("--json", "one JSON event per line")
    .action(async (runId: string, opts: { follow?: boolean; after: number; runner?: string; json?: boolean }) => {
      const client = new RunnerClient(resolveRunnerUrl(opts.runner), resolveClientToken());
      const run = await client.getRun(runId);
      const print = (e: Parameters<typeof formatEvent>[0]): void => {
        console.log(opts.json ? JSON.stringify(e) : formatEvent(e));
      };
      if (!opts.follow || TERMINAL_STATUSES.has(run.status)) {
        // Page through the log over HTTP: no stream needed for a finished run.
        let after = opts.after;
        for (;;) {
          const { items } = await client.events(runId, after, 1000);
          for (const e of items) print(e);
          if (items.length < 1000) break;
          after = items.at(-1)?.seq ?? after;
        }
        return;
      }
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      await client.follow({
        runId,
        after: opts.after,
        signal: ac.signal,
        onEvent: (e) => {
          print(e);
          return !isRunEnd(e);
        },
        onReconnect: (after, why) => process.stderr.write(`stream interrupted (${why}); resuming after seq ${after}\n`),
      });
    });
}
