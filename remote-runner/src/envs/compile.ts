import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build, type Message as EsbuildMessage, type Plugin } from "esbuild";
import { cacheDir, ensurePrivateDir } from "../config/paths.js";
import { within } from "./confine.js";
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

/** Folders code outside the env folder may come from: the SDK, the protocol and the runner's node_modules. */
function trustedRoots(): string[] {
  const pkgRoot = (file: string): string => {
    let d = path.dirname(file);
    while (!fs.existsSync(path.join(d, "package.json")) && path.dirname(d) !== d) d = path.dirname(d);
    return d;
  };
  const roots = [pkgRoot(require.resolve("@agentrl/sdk")), pkgRoot(require.resolve("@agentrl/protocol")), ...(require.resolve.paths("ajv") ?? [])];
  return roots.filter((r) => fs.existsSync(r)).map((r) => fs.realpathSync.native(r));
}

/**
 * Every import resolves (links followed) inside the env folder or the runner's own packages. The
 * bundler runs on the runner's machine: `import x from "./leak.txt"` through a link would put a
 * file of that machine into the bundle.
 */
function confinePlugin(dir: string): Plugin {
  return {
    name: "agentrl-confine",
    setup(b) {
      const root = fs.realpathSync.native(dir);
      const trusted = trustedRoots();
      b.onResolve({ filter: /.*/ }, async (args) => {
        if ((args.pluginData as { confined?: boolean } | undefined)?.confined || args.kind === "entry-point") return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { confined: true } });
        if (r.errors.length || r.external || r.namespace !== "file" || !r.path) return { errors: r.errors, external: r.external, path: r.path, namespace: r.namespace };
        let real: string;
        try {
          real = fs.realpathSync.native(r.path);
        } catch {
          return { errors: [{ text: `${JSON.stringify(args.path)} cannot be read (a dangling link?)` }] };
        }
        if (within(root, real) || trusted.some((t) => within(t, real))) return { path: real };
        return { errors: [{ text: `${JSON.stringify(args.path)} resolves outside the environment folder (links are followed); the bundler reads only files inside it` }] };
      });
    },
  };
}

function issueFrom(dir: string, m: EsbuildMessage): EnvIssue {
  const file = m.location?.file ? path.relative(dir, path.resolve(m.location.file)) || m.location.file : "env.ts";
  return {
    file,
    line: m.location?.line,
    message: `${m.text}${m.location ? ` (column ${m.location.column + 1}: \`${m.location.lineText.trim()}\`)` : ""}`,
    fix: m.text.startsWith("Could not resolve")
      ? "install the package in the env folder or import it from @agentrl/sdk"
      : m.text.includes("outside the environment folder")
        ? "copy the file into the environment folder instead of linking to it"
        : "correct the code at that position",
  };
}

/** Content-addressed files are written once, atomically (a concurrent writer produces the same bytes). */
function writeOnce(file: string, text: string): void {
  if (fs.existsSync(file)) {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600); // cached by an older version, readable by others
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export interface CompiledEnv {
  entry: string;
  /** The bundled ES module on disk (content-addressed); its source map is `${bundlePath}.map`. */
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
  let map: string;
  try {
    const res = await build({
      ...(generated ? { stdin: { contents: generated, resolveDir: dir, sourcefile: "env.ts (generated)", loader: "ts" as const } } : { entryPoints: [entry] }),
      bundle: true,
      write: false,
      // Where the bundle would sit: source-map paths come out relative to the env folder (env.ts).
      outfile: path.join(dir, "env.bundle.mjs"),
      // An external map, so the code (and its hash) does not change with the folder it was built in;
      // reward errors are mapped back to their source line with it (rewards/source-location.ts).
      sourcemap: "external",
      sourcesContent: false,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
      plugins: [aliasPlugin, confinePlugin(dir)],
      // Scripts and data next to env.ts can be imported as text (e.g. a Python tool run in the sandbox).
      loader: { ".py": "text", ".sh": "text", ".txt": "text", ".md": "text", ".jsonl": "text" },
      // Bundled CommonJS dependencies (ajv) call require() for Node built-ins.
      banner: { js: "import { createRequire as __agentrlCreateRequire } from 'node:module'; const require = __agentrlCreateRequire(import.meta.url);" },
    });
    code = res.outputFiles.find((f) => f.path.endsWith(".mjs"))?.text ?? "";
    map = res.outputFiles.find((f) => f.path.endsWith(".map"))?.text ?? "";
  } catch (err) {
    const errors = (err as { errors?: EsbuildMessage[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) throw new EnvLoadError(dir, errors.map((m) => issueFrom(dir, m)));
    throw err;
  }
  const codeHash = crypto.createHash("sha256").update(code).digest("hex");
  const outDir = path.join(cacheDir(), "env-bundles");
  // Bundles may inline data files and secrets of their authors: readable by this user only.
  ensurePrivateDir(outDir);
  const bundlePath = path.join(outDir, `${codeHash}.mjs`);
  writeOnce(`${bundlePath}.map`, map);
  writeOnce(bundlePath, code);
  return { entry, bundlePath, codeHash };
}
