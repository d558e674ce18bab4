import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Message as EsbuildMessage, type Plugin } from "esbuild";
import { cacheDir } from "../config/paths.js";
import { EnvLoadError, type EnvIssue } from "./errors.js";
import { folderEnvSource } from "./kinds/registry.js";

const ENTRY_NAMES = ["env.ts", "env.mts", "env.js", "env.mjs"];

export function findEnvEntry(dir: string): string | null {
  for (const name of ENTRY_NAMES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

const require = createRequire(import.meta.url);

/** Where the workspace packages live, so env files anywhere on disk import this runner's SDK. */
function workspaceAliases(): Record<string, string> {
  return {
    "@agentrl/sdk": require.resolve("@agentrl/sdk"),
    "@agentrl/protocol": require.resolve("@agentrl/protocol"),
  };
}

const aliasPlugin: Plugin = {
  name: "agentrl-workspace",
  setup(b) {
    const aliases = workspaceAliases();
    b.onResolve({ filter: /^@agentrl\/(sdk|protocol)$/ }, (args) => ({ path: aliases[args.path] as string }));
  },
};

function issueFrom(dir: string, m: EsbuildMessage): EnvIssue {
  const file = m.location?.file ? path.relative(dir, path.resolve(m.location.file)) || m.location.file : "env.ts";
  return {
    file,
    line: m.location?.line,
    message: `${m.text}${m.location ? ` (column ${m.location.column + 1}: \`${m.location.lineText.trim()}\`)` : ""}`,
    fix: m.text.startsWith("Could not resolve") ? "install the package in the env folder or import it from @agentrl/sdk" : "correct the code at that position",
  };
}

export interface CompiledEnv {
  entry: string;
  /** The bundled ES module on disk (content-addressed). */
  bundlePath: string;
  /** sha256 of the bundled code. */
  codeHash: string;
}

/**
 * Bundles env.ts (and whatever it imports) with esbuild into one ES module; `@agentrl/sdk` resolves
 * to this runner's workspace SDK. Syntax and import errors come back as EnvLoadError with file:line.
 */
export async function compileEnv(dir: string): Promise<CompiledEnv> {
  const found = findEnvEntry(dir);
  // A folder of tasks as users bring them (Harbor task folders) runs without an env.ts of its own.
  const generated = found ? null : folderEnvSource(dir);
  if (!found && !generated) {
    throw new EnvLoadError(dir, [{ file: "env.ts", message: `no env.ts in ${dir}`, fix: "create env.ts with `export default defineEnvironment({...})` from @agentrl/sdk (or point at a folder of Harbor tasks)" }]);
  }
  const entry = found ?? path.join(dir, "env.ts (generated)");
  let code: string;
  try {
    const res = await build({
      ...(generated ? { stdin: { contents: generated, resolveDir: dir, sourcefile: "env.ts (generated)", loader: "ts" as const } } : { entryPoints: [entry] }),
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
      plugins: [aliasPlugin],
      // Scripts and data next to env.ts can be imported as text (e.g. a Python tool run in the sandbox).
      loader: { ".py": "text", ".sh": "text", ".txt": "text", ".md": "text", ".jsonl": "text" },
      // Bundled CommonJS dependencies (ajv) call require() for Node built-ins.
      banner: { js: "import { createRequire as __agentrlCreateRequire } from 'node:module'; const require = __agentrlCreateRequire(import.meta.url);" },
    });
    code = res.outputFiles[0]?.text ?? "";
  } catch (err) {
    const errors = (err as { errors?: EsbuildMessage[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) throw new EnvLoadError(dir, errors.map((m) => issueFrom(dir, m)));
    throw err;
  }
  const codeHash = crypto.createHash("sha256").update(code).digest("hex");
  const outDir = path.join(cacheDir(), "env-bundles");
  fs.mkdirSync(outDir, { recursive: true });
  const bundlePath = path.join(outDir, `${codeHash}.mjs`);
  if (!fs.existsSync(bundlePath)) {
    const tmp = `${bundlePath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, bundlePath);
  }
  return { entry, bundlePath, codeHash };
}

/** Imports a compiled bundle; a module that throws while loading becomes an EnvLoadError naming the file. */
export async function importBundle(dir: string, compiled: CompiledEnv): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(compiled.bundlePath).href)) as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new EnvLoadError(dir, [{ file: path.basename(compiled.entry), message: `the module threw while loading: ${message}`, fix: "fix the top-level code of the env module so importing it does not throw" }]);
  }
}
