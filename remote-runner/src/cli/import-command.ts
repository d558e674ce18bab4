import fs from "node:fs";
import type { Command } from "commander";
import { importBfcl, type BfclAnswer, type BfclEntry } from "../envs/bfcl.js";
import { registerSweBenchImport } from "../envs/kinds/swe/import-command.js";

/** Reads JSON Lines (BFCL ships its .json files as one object per line); errors name the file and line. */
function readJsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist. Fix: pass the path of the dataset file`);
  const text = fs.readFileSync(file, "utf8").trim();
  if (text.startsWith("[")) return JSON.parse(text) as T[];
  return text.split(/\r?\n/).flatMap((line, i) => {
    if (!line.trim()) return [];
    try {
      return [JSON.parse(line) as T];
    } catch (err) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(err as Error).message}). Fix: one JSON object per line`, { cause: err });
    }
  });
}

export function registerImportCommand(program: Command): void {
  const imp = program.command("import").description("convert public task formats into tasks.jsonl");
  imp
    .command("bfcl")
    .description("BFCL function-calling entries (+ possible answers) → tasks with task-declared tools and ground truth for functionCallMatch()")
    .argument("<questions>", "BFCL question file (JSON Lines)")
    .option("--answers <file>", "BFCL possible_answer file for the same category")
    .requiredOption("--out <file>", "tasks.jsonl to write")
    .action((questions: string, opts: { answers?: string; out: string }) => {
      const entries = readJsonLines<BfclEntry>(questions);
      const answers = opts.answers ? readJsonLines<BfclAnswer>(opts.answers) : [];
      const { tasks, problems } = importBfcl(entries, answers);
      fs.writeFileSync(opts.out, tasks.map((t) => JSON.stringify(t)).join("\n") + "\n");
      for (const p of problems) process.stderr.write(`warning: ${p}\n`);
      const withAnswers = tasks.filter((t) => t.answer !== undefined).length;
      console.log(`wrote ${tasks.length} tasks (${withAnswers} with ground truth) to ${opts.out}`);
    });
  registerSweBenchImport(imp);
}
