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
  build({
    ...common,
    entryPoints: [path.join(root, "src/extension.ts")],
    outfile: path.join(root, "dist/extension.js"),
    format: "cjs",
  }),
]);
