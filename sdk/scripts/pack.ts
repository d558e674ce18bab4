// `npm run pack -w @agentrl/sdk`: a tarball of the SDK for users who prefer a dependency to the
// declarations `agentrl init` copies. The workspace package points at TypeScript sources that import
// the private @agentrl/protocol, so the tarball is built from a staging folder instead: one ES
// module bundle (protocol, TypeBox and ajv inside, so it has no dependencies and installs offline)
// and the self-contained declarations of sdk/types.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const sdkDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.resolve(process.argv[2] ?? sdkDir);
const manifest = JSON.parse(fs.readFileSync(path.join(sdkDir, "package.json"), "utf8")) as { name: string; version: string; description: string };
const stage = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-sdk-pack-"));
try {
  await build({
    entryPoints: [path.join(sdkDir, "src/index.ts")],
    outfile: path.join(stage, "dist/index.js"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  fs.cpSync(path.join(sdkDir, "types"), path.join(stage, "types"), { recursive: true });
  const pkg = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    license: "MIT",
    type: "module",
    main: "./dist/index.js",
    types: "./types/index.d.ts",
    exports: { ".": { types: "./types/index.d.ts", default: "./dist/index.js" } },
    files: ["dist", "types"],
  };
  fs.writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  fs.writeFileSync(path.join(stage, "README.md"), `# ${manifest.name}\n\n${manifest.description}\n\nTypes and doc comments for env.ts files of AgentRL Studio environments; the runner bundles env.ts with its own copy of the SDK.\n`);
  fs.mkdirSync(outDir, { recursive: true });
  const out = execFileSync("npm", ["pack", stage, "--pack-destination", outDir, "--silent"], { encoding: "utf8" }).trim().split("\n").pop() ?? "";
  console.log(path.join(outDir, out));
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
