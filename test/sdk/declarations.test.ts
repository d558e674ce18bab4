// The committed SDK declarations (sdk/types) are what editors and scaffolds see: they must match
// the SDK sources, and their asset-import list must match what the runner's bundler loads as text.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildSdkDeclarations, TEXT_ASSET_EXTENSIONS } from "../../sdk/scaffold/declarations";

const repo = path.resolve(__dirname, "../..");

describe("SDK declarations", () => {
  it("sdk/types matches the SDK sources (regenerate with npx tsx sdk/scripts/write-declarations.ts)", () => {
    const fresh = buildSdkDeclarations();
    const committed = Object.fromEntries(fs.readdirSync(path.join(repo, "sdk/types")).map((f) => [f, fs.readFileSync(path.join(repo, "sdk/types", f), "utf8")]));
    expect(committed).toEqual(fresh);
    expect(fresh["index.d.ts"]).not.toMatch(/@agentrl\/protocol|@sinclair\/typebox/);
    expect(fresh["reward.d.ts"]).toContain("Content of the last assistant message");
  }, 60_000);

  it("types exactly the imports the bundler loads as text", () => {
    const compile = fs.readFileSync(path.join(repo, "remote-runner/src/envs/compile.ts"), "utf8");
    const loader = /loader:\s*\{([^}]*)\}/.exec(compile)?.[1] ?? "";
    const textExts = [...loader.matchAll(/"(\.[a-z]+)":\s*"text"/g)].map((m) => m[1]).sort();
    expect(textExts.length).toBeGreaterThan(0);
    expect(textExts).toEqual([...TEXT_ASSET_EXTENSIONS].sort());
  });
});
