import { createRequire } from "node:module";
import path from "node:path";
import type { Command } from "commander";
import { readSdkDeclarations, SCAFFOLD_KINDS, type ScaffoldKind, writeScaffold } from "@agentrl/sdk/scaffold";

/** sdk/types of the SDK this CLI was built with (the workspace package, wherever the CLI runs from). */
function sdkTypesDir(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve("@agentrl/sdk/package.json")), "types");
}

function kindArg(value: string): ScaffoldKind {
  if ((SCAFFOLD_KINDS as readonly string[]).includes(value)) return value as ScaffoldKind;
  throw new Error(`--kind must be one of ${SCAFFOLD_KINDS.join(", ")} (got "${value}")`);
}

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("scaffold a new environment (env.ts, tasks.jsonl, tsconfig.json and the SDK's declarations): it type-checks with `tsc --noEmit -p DIR`, no npm install needed")
    .argument("<dir>", "folder to create (must not hold an env.ts yet)")
    .option("--kind <kind>", `environment kind: ${SCAFFOLD_KINDS.join(", ")}`, kindArg, "tool" as ScaffoldKind)
    .option("--name <name>", "environment name (default: the folder's name)")
    .action((dir: string, opts: { kind: ScaffoldKind; name?: string }) => {
      const target = path.resolve(dir);
      const name = opts.name ?? path.basename(target);
      const files = writeScaffold(target, opts.kind, name, readSdkDeclarations(sdkTypesDir()));
      console.log(`created ${opts.kind} environment "${name}" in ${target} (${files.length} files)`);
      console.log(`next: edit env.ts and tasks.jsonl; check types with \`npx tsc --noEmit -p ${dir}\`; try it with \`agentrl rollout ${dir} --policy noop\``);
    });
}
