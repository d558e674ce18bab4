import fs from "node:fs";
import type { Command } from "commander";
import { toExportRow, toTrainRecord } from "../store/export.js";
import { openStore } from "../store/store.js";

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("write a run's trajectories as JSONL, one per line (loadable by Hugging Face datasets), or as trainer records")
    .argument("<run-id>", "the run to export")
    .option("--out <file>", "output file (default: stdout)")
    .option("--format <f>", "trajectories (readable rows) | train (token segments for the trainer)", "trajectories")
    .action(async (runId: string, opts: { out?: string; format: string }) => {
      if (opts.format !== "trajectories" && opts.format !== "train") throw new Error(`--format must be trajectories or train, not "${opts.format}"`);
      const store = openStore();
      try {
        if (!store.getRun(runId)) throw new Error(`no run "${runId}" in ${store.home}. Fix: use a run id printed by \`agentrl rollout\``);
        const out: NodeJS.WritableStream = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
        let written = 0;
        const skipped = new Map<string, number>();
        for (const t of store.iterateTrajectories(runId)) {
          let line: string;
          if (opts.format === "train") {
            const r = toTrainRecord(t);
            if ("skip" in r) {
              skipped.set(r.skip, (skipped.get(r.skip) ?? 0) + 1);
              continue;
            }
            line = JSON.stringify(r.record);
          } else line = JSON.stringify(toExportRow(t));
          if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
          written++;
        }
        if (opts.out) await new Promise<void>((resolve, reject) => (out as fs.WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
        process.stderr.write(`exported ${written} ${opts.format === "train" ? "training records" : "trajectories"} of ${runId}${opts.out ? ` to ${opts.out}` : ""}\n`);
        for (const [why, n] of skipped) process.stderr.write(`skipped ${n}: ${why}\n`);
      } finally {
        store.close();
      }
    });
}
