import type { Command } from "commander";
import { doctor } from "../docker/engine.js";

export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check (and with --fix, set up) the Docker engine sandboxes run on")
    .option("--fix", "install docker.io and start a private dockerd when no daemon is reachable (root on Debian)")
    .option("--json", "print the report as JSON")
    .action(async (opts: { fix?: boolean; json?: boolean }) => {
      const report = await doctor({ fix: Boolean(opts.fix), log: (line) => console.error(line) });
      if (opts.json) {
        console.log(JSON.stringify(report));
      } else {
        for (const a of report.actions) console.log(`• ${a}`);
        for (const c of report.checks) console.log(`${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}
