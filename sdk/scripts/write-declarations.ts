// Writes sdk/types/: the SDK's self-contained declaration files (see sdk/scaffold/declarations.ts).
// Run: npx tsx sdk/scripts/write-declarations.ts
import fs from "node:fs";
import path from "node:path";
import { buildSdkDeclarations } from "../scaffold/declarations.js";

const dir = path.resolve(path.dirname(process.argv[1] ?? "."), "../types");
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const files = buildSdkDeclarations();
for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
console.log(`wrote ${Object.keys(files).length} declaration files to ${dir}`);
