import fs from "node:fs";
import type { Command } from "commander";
import { importSweBenchFile } from "./import-swebench.js";

/**
 * `agentrl import swebench FILE --out tasks.jsonl`: published SWE-bench instances (JSON array, JSONL,
 * test lists as JSON strings) → tasks of a `kind: "swe"` environment. Register it on the `import`
 * group: `registerSweBenchImport(imp)`.
 */
export function registerSweBenchImport(imp: Command): void {
  imp
    .command("swebench")
    .description("SWE-bench instances (as published) → tasks.jsonl for a swe environment; repositories come from local mirrors (AGENTRL_SWE_MIRRORS)")
    .argument("<instances>", "SWE-bench instances: a JSON array or JSON Lines")
    .requiredOption("--out <file>", "tasks.jsonl to write")
    .action((file: string, opts: { out: string }) => {
      if (!fs.existsSync(file)) throw new Error(`${file} does not exist. Fix: pass the path of the instances file`);
      const { tasks, jsonl } = importSweBenchFile(file);
      fs.writeFileSync(opts.out, jsonl);
      console.log(`wrote ${tasks.length} SWE tasks to ${opts.out}; put it next to an env.ts with kind: "swe" and make each repository's mirror available (see \`git clone --mirror\`)`);
    });
}
