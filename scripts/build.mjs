// Bundles the runner CLI and the extension with esbuild. Workspace packages (@agentrl/*) are
// TypeScript sources and get bundled in; npm dependencies stay external (native modules, dockerode).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const externalNpm = {
  name: "external-npm",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@agentrl/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const common = { bundle: true, platform: "node", target: "node20", sourcemap: true, logLevel: "warning", plugins: [externalNpm] };

await Promise.all([
  build({
    ...common,
    entryPoints: [path.join(root, "remote-runner/src/cli/main.ts")],
    outfile: path.join(root, "remote-runner/dist/cli.js"),
    format: "esm",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }),
  // The extension ships as one file in the .vsix (no node_modules): everything but `vscode` is bundled in.
  // ws's optional native speedups are left out; ws falls back to plain JS without them.
  build({
    ...common,
    plugins: [],
    external: ["vscode", "bufferutil", "utf-8-validate"],
    entryPoints: [path.join(root, "src/extension.ts")],
    outfile: path.join(root, "dist/extension.js"),
    format: "cjs",
  }),
  // The inspector webview: React app + its CSS (theme variables, uPlot, diff2html) for the browser.
  build({
    bundle: true,
    platform: "browser",
    target: "chrome114",
    format: "iife",
    minify: true,
    sourcemap: false,
    logLevel: "warning",
    jsx: "automatic",
    entryPoints: { inspector: path.join(root, "webview/main.tsx") },
    outdir: path.join(root, "dist/webview"),
    define: { "process.env.NODE_ENV": '"production"' },
  }),
]);

// JSON Schemas the extension contributes (package.json `jsonValidation`), generated from the protocol's TypeBox types.
{
  const out = await build({
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "warning",
    stdin: {
      contents: `import { Task, Trajectory, RunConfig } from "./protocol/src/index.ts"; export default { task: Task, trajectory: Trajectory, "run-config": RunConfig };`,
      resolveDir: root,
      loader: "ts",
    },
  });
  const mod = await import(`data:text/javascript,${encodeURIComponent(out.outputFiles[0].text)}`);
  const fs = await import("node:fs");
  fs.mkdirSync(path.join(root, "dist/schemas"), { recursive: true });
  for (const [name, schema] of Object.entries(mod.default)) {
    fs.writeFileSync(path.join(root, `dist/schemas/${name}.json`), JSON.stringify(schema, null, 2) + "\n");
  }
}

// The SDK's declaration files (sdk/types, committed): New Environment copies them into each new
// environment, and the TypeScript server plugin resolves `@agentrl/sdk` to them in any folder.
{
  const fs = await import("node:fs");
  fs.rmSync(path.join(root, "dist/sdk-types"), { recursive: true, force: true });
  fs.cpSync(path.join(root, "sdk/types"), path.join(root, "dist/sdk-types"), { recursive: true });
  // The plugin package (packaged into the .vsix as node_modules/agentrl-sdk-ts-plugin, where
  // tsserver looks for it): CommonJS, with its own copy of the declarations it resolves to.
  const pluginDir = path.join(root, "dist/ts-plugin");
  fs.rmSync(pluginDir, { recursive: true, force: true });
  await build({ ...common, plugins: [], external: ["typescript"], entryPoints: [path.join(root, "src/ts-plugin/index.ts")], outfile: path.join(pluginDir, "index.js"), format: "cjs", sourcemap: false });
  fs.cpSync(path.join(root, "sdk/types"), path.join(pluginDir, "types"), { recursive: true });
  const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  fs.writeFileSync(path.join(pluginDir, "package.json"), JSON.stringify({ name: "agentrl-sdk-ts-plugin", version, private: true, main: "index.js" }, null, 2) + "\n");
}
