// The rollout engine knows environment kinds only through the registry (remote-runner/src/envs/kinds/):
// no kind's name may appear in its sources, as a string, a path, an identifier or a comment. A kind
// is added as a folder plus a registry entry, never as a branch in the engine.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { kindNames } from "../../remote-runner/src/envs/kinds/registry.js";

const ROOT = path.resolve(__dirname, "../..");
const ENGINE_DIR = path.join(ROOT, "remote-runner/src/rollout");
const KINDS_DIR = path.join(ROOT, "remote-runner/src/envs/kinds");

function engineSources(): { file: string; text: string }[] {
  return fs
    .readdirSync(ENGINE_DIR, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => ({ file: f, text: fs.readFileSync(path.join(ENGINE_DIR, f), "utf8") }));
}

/** Where a kind's name shows up: quoted, as a path segment, as a word, or as an identifier part (sweKind, SWE_TOOLS). */
function mentions(text: string, name: string): string[] {
  const quoted = new RegExp(`["'\`]${name}["'\`]`);
  // "tool" is also the ordinary word for a function the model calls (and a live phase), so it counts
  // only quoted on a line that speaks of a kind.
  const patterns = name === "tool" ? [quoted] : [quoted, new RegExp(`\\b${name}\\b`, "i"), new RegExp(`\\b${name}(?=[A-Z_])`, "i"), new RegExp(`/${name}/`, "i")];
  const lines = text.split("\n");
  const hits = new Set<string>();
  lines.forEach((line, i) => {
    if (name === "tool" && !/kind/i.test(line)) return;
    if (patterns.some((re) => re.test(line))) hits.add(`${i + 1}: ${line.trim()}`);
  });
  return [...hits];
}

describe("the rollout engine names no environment kind", () => {
  it("has a registered kind for every kind folder and a folder for every kind", () => {
    const folders = fs.readdirSync(KINDS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(kindNames().sort()).toEqual(folders);
    expect(kindNames()).toEqual(expect.arrayContaining(["tool", "swe", "gui"]));
  });

  it("finds no kind name in remote-runner/src/rollout", () => {
    const found: string[] = [];
    for (const { file, text } of engineSources()) for (const name of kindNames()) for (const hit of mentions(text, name)) found.push(`${file}:${hit} (kind "${name}")`);
    expect(found).toEqual([]);
  });

  it("the check itself catches a kind name", () => {
    // Guards the guard: an engine line that picks a kind by string, or imports from its folder, is found.
    expect(mentions('if (env.info.kind === "swe") return;', "swe")).toHaveLength(1);
    expect(mentions('import { guiKind } from "../envs/kinds/gui/kind.js";', "gui")).toHaveLength(1);
    expect(mentions("const x = SWE_TOOLS;", "swe")).toHaveLength(1);
    expect(mentions('const isTool = env.info.kind === "tool";', "tool")).toHaveLength(1);
    expect(mentions('live.phase(id, turn, "tool", name);', "tool")).toHaveLength(0);
    expect(mentions("runs each tool call", "tool")).toHaveLength(0);
  });
});
