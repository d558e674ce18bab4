// Packages dist/agentrl-studio.vsix from a staging folder that holds exactly what the extension
// ships: the bundles, the manifest, media, schemas, the SDK declarations, and the TypeScript server
// plugin as node_modules/agentrl-sdk-ts-plugin (tsserver only loads plugins from a node_modules
// folder of the extension, and vsce leaves node_modules out unless it lists them as dependencies,
// which in the repository root would drag in every workspace's dependencies). Run after build.mjs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stage = path.join(root, "dist/vsix-stage");
const vsce = execFileSync("bash", [path.join(root, "scripts/setup-vscode.sh"), "--print"], { encoding: "utf8" }).match(/^VSCE=(.*)$/m)?.[1];
if (!vsce) throw new Error("scripts/setup-vscode.sh --print named no VSCE. Fix: run bash scripts/setup-vscode.sh");

fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const { version } = manifest;
for (const key of ["devDependencies", "workspaces", "scripts", "allowScripts"]) delete manifest[key];
manifest.dependencies = { "agentrl-sdk-ts-plugin": version };
fs.writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
for (const item of ["README.md", "CHANGELOG.md", ".vscodeignore", "media/agentrl.svg", "dist/extension.js", "dist/webview", "dist/schemas", "dist/sdk-types"]) {
  fs.cpSync(path.join(root, item), path.join(stage, item), { recursive: true });
}
fs.cpSync(path.join(root, "dist/ts-plugin"), path.join(stage, "node_modules/agentrl-sdk-ts-plugin"), { recursive: true });
fs.appendFileSync(path.join(stage, ".vscodeignore"), "!node_modules/agentrl-sdk-ts-plugin/**\n");
const out = path.join(root, "dist/agentrl-studio.vsix");
// vsce lists dependencies with `npm list --production`: in the stage that is the plugin alone.
execFileSync(vsce, ["package", "--allow-missing-repository", "--skip-license", "-o", out], { cwd: stage, stdio: ["ignore", "inherit", "inherit"] });
fs.rmSync(stage, { recursive: true, force: true });
