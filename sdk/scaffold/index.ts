// New environments, the same for `agentrl init` and the extension's New Environment: env.ts and
// tasks.jsonl of a kind, plus what makes the folder type-check on its own (a tsconfig.json and the
// SDK's declaration files), so a scaffold is green in an editor and under `tsc` without
// `npm install`, without network, and wherever it is moved. The declarations are copied in
// rather than pointed at where the CLI is installed: an absolute path would break when the folder
// moves or is opened on another machine, and the copy pins the SDK version the env was written for.
import fs from "node:fs";
import path from "node:path";
import { guiTemplate } from "./templates/gui-template.js";
import { sweTemplate } from "./templates/swe-template.js";
import { toolTemplate } from "./templates/tool-template.js";

export const SCAFFOLD_KINDS = ["tool", "swe", "gui"] as const;
export type ScaffoldKind = (typeof SCAFFOLD_KINDS)[number];

export const TEMPLATES: Record<ScaffoldKind, (name: string) => Record<string, string>> = { tool: toolTemplate, swe: sweTemplate, gui: guiTemplate };

/** Where the scaffold keeps the SDK's declarations, relative to the env folder. */
export const TYPES_DIR = "types/agentrl-sdk";

/**
 * A tsconfig that checks env.ts strictly against the copied declarations: `paths` maps the SDK to
 * them, `types: []` keeps @types packages of enclosing folders out, DOM gives AbortSignal (tool
 * contexts) without @types/node. The runner's bundler ignores this mapping (it resolves the SDK
 * itself), so the file only serves editors and tsc.
 */
export function scaffoldTsconfig(): string {
  const config = {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2022", "DOM"],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      paths: { "@agentrl/sdk": [`./${TYPES_DIR}/index.d.ts`] },
    },
    include: ["**/*.ts"],
    exclude: ["node_modules"],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The SDK's declaration files (sdk/types/ in the repository; the extension ships a copy). */
export function readSdkDeclarations(typesDir: string): Record<string, string> {
  const names = fs.existsSync(typesDir) ? fs.readdirSync(typesDir).filter((f) => f.endsWith(".d.ts")) : [];
  if (!names.includes("index.d.ts")) throw new Error(`no SDK declarations in ${typesDir}. Fix: run \`npx tsx sdk/scripts/write-declarations.ts\` (or reinstall the extension/CLI)`);
  return Object.fromEntries(names.sort().map((n) => [n, fs.readFileSync(path.join(typesDir, n), "utf8")]));
}

/** Every file of a new environment of `kind`, by path relative to its folder. */
export function scaffoldFiles(kind: ScaffoldKind, name: string, declarations: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = { ...TEMPLATES[kind](name), "tsconfig.json": scaffoldTsconfig() };
  for (const [file, text] of Object.entries(declarations)) files[`${TYPES_DIR}/${file}`] = text;
  return files;
}

/** Writes a new environment into `dir` (created; refused when it already has an env.ts, so nothing is overwritten). */
export function writeScaffold(dir: string, kind: ScaffoldKind, name: string, declarations: Record<string, string>): string[] {
  if (fs.existsSync(path.join(dir, "env.ts"))) throw new Error(`${dir} already has an env.ts. Fix: pick a new folder, or delete it first`);
  const files = scaffoldFiles(kind, name, declarations);
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return Object.keys(files);
}
