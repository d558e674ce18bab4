import { Command, CommanderError } from "commander";
import { registerBenchCommand } from "./bench-command.js";
import { registerDoctorCommand } from "./doctor-command.js";
import { registerServeCommand } from "./serve-command.js";
import { registerRunsCommand } from "./runs-command.js";
import { registerLogsCommand } from "./logs-command.js";
import { registerRemoteCommand } from "./remote-command.js";
import { registerRolloutCommand } from "./rollout-command.js";
import { registerImportCommand } from "./import-command.js";
import { registerRescoreCommand } from "./rescore-command.js";
import { registerExportCommand } from "./export-command.js";
import { registerPreflightCommand } from "./preflight-command.js";
import { registerImagesCommand } from "./images-command.js";
import { registerSandboxCommand } from "./sandbox-command.js";
import { registerTrainCommand } from "./train-command.js";
import { registerInitCommand } from "./init-command.js";

/**
 * The `agentrl` program. Each feature adds its commands through a `register…Command(program)`
 * function in its own file here, so this file only lists them.
 */
const program = new Command("agentrl")
  .description("AgentRL Studio runner: sandboxes, rollouts, training")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride();

registerDoctorCommand(program);
registerInitCommand(program);
registerServeCommand(program);
registerRunsCommand(program);
registerLogsCommand(program);
registerRemoteCommand(program);
registerRolloutCommand(program);
registerImportCommand(program);
registerRescoreCommand(program);
registerExportCommand(program);
registerPreflightCommand(program);
registerImagesCommand(program);
registerSandboxCommand(program);
registerTrainCommand(program);
registerBenchCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof Error ? err.message : String(err);
  console.error(`agentrl: ${message}`);
  if (process.env.AGENTRL_DEBUG && err instanceof Error && err.stack) console.error(err.stack);
  process.exit(1);
});
