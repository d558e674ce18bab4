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
    .option("--apt <packages>", "comma-separated Debian packages of the toolchain (default python3-pytest)")
    .option("--install <command>", "install command run in the repository when its image is built (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option("--test-timeout <ms>", "time limit of one scoring test run", (v) => Number(v))
    .action((file: string, opts: { out: string; apt?: string; install?: string[]; testTimeout?: number }) => {
      if (!fs.existsSync(file)) throw new Error(`${file} does not exist. Fix: pass the path of the instances file`);
      if (opts.testTimeout !== undefined && !(opts.testTimeout > 0)) throw new Error("--test-timeout must be a positive number of milliseconds");
      const { tasks, jsonl } = importSweBenchFile(file, {
        ...(opts.apt ? { apt: opts.apt.split(",").map((p) => p.trim()).filter(Boolean) } : {}),
        ...(opts.install ? { install: opts.install } : {}),
        ...(opts.testTimeout ? { test_timeout_ms: opts.testTimeout } : {}),
      });
      fs.writeFileSync(opts.out, jsonl);
      console.log(`wrote ${tasks.length} SWE tasks to ${opts.out}; put it next to an env.ts with kind: "swe" and make each repository's mirror available (see \`git clone --mirror\`)`);
    });
}
