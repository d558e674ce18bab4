// Every scaffold (agentrl init / New Environment) must be an environment the runner accepts as
// written, and must type-check on its own: tsc with no node_modules and no network, against the
// SDK declarations copied into it. The examples type-check against the same declarations.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { loadEnvironment } from "../../remote-runner/src/envs/load";
import { readSdkDeclarations, SCAFFOLD_KINDS, scaffoldTsconfig, TYPES_DIR, writeScaffold } from "../../sdk/scaffold/index";

const repo = path.resolve(__dirname, "../..");
const declarations = readSdkDeclarations(path.join(repo, "sdk/types"));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-scaffold-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `tsc --noEmit -p dir`: the diagnostics as "file:line: message". */
function typeCheck(dir: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
  if (!config) throw new Error(`no tsconfig in ${dir}`);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${path.relative(dir, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

describe("environment scaffolds", () => {
  for (const kind of SCAFFOLD_KINDS) {
    it(`the ${kind} scaffold loads in the runner and type-checks with no node_modules`, async () => {
      const dir = path.join(tmp, `my-${kind}`);
      const files = writeScaffold(dir, kind, `my-${kind}`, declarations);
      expect(files).toContain("tsconfig.json");
      expect(files).toContain(`${TYPES_DIR}/index.d.ts`);
      expect(typeCheck(dir)).toEqual([]);
      const env = await loadEnvironment(dir, { git: false });
      expect(env.info.name).toBe(`my-${kind}`);
      expect(env.info.kind).toBe(kind);
      expect(env.tasks.length).toBeGreaterThan(0);
      expect(env.def.rewards.length).toBeGreaterThan(0);
    });
  }

  it("agentrl init writes the same scaffold from the CLI (and refuses a kind it does not know)", () => {
    const cli = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "remote-runner/src/cli/main.ts"), ...args], { cwd: repo, encoding: "utf8" });
    const dir = path.join(tmp, "from-cli");
    const ok = cli(["init", dir, "--kind", "gui"]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`created gui environment "from-cli" in ${dir}`);
    expect(typeCheck(dir)).toEqual([]);
    const bad = cli(["init", path.join(tmp, "nope"), "--kind", "desktop"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--kind must be one of tool, swe, gui \(got "desktop"\)/);
  }, 60_000);

  it("refuses to overwrite an existing environment", () => {
    const dir = path.join(tmp, "existing");
    writeScaffold(dir, "tool", "existing", declarations);
    expect(() => writeScaffold(dir, "tool", "existing", declarations)).toThrow(/already has an env.ts/);
  });

  it("reports a type error the user makes at its line (a reward returning a string)", () => {
    const dir = path.join(tmp, "wrong");
    writeScaffold(dir, "tool", "wrong", declarations);
    const env = fs.readFileSync(path.join(dir, "env.ts"), "utf8").replace("(finalAnswer.length <= 200 ? 1 : 0)", '"yes"');
    fs.writeFileSync(path.join(dir, "env.ts"), env);
    const line = env.split("\n").findIndex((l) => l.includes('"yes"')) + 1;
    const problems = typeCheck(dir);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.startsWith(`env.ts:${line}:`) && /string/.test(p))).toBe(true);
  });

  it("every example type-checks against the shipped declarations (asset imports such as ./calc.py included)", () => {
    for (const name of fs.readdirSync(path.join(repo, "examples"))) {
      const src = path.join(repo, "examples", name);
      if (!fs.existsSync(path.join(src, "env.ts"))) continue;
      const dir = path.join(tmp, `example-${name}`);
      fs.cpSync(src, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "tsconfig.json"), scaffoldTsconfig());
      for (const [file, text] of Object.entries(declarations)) {
        fs.mkdirSync(path.join(dir, TYPES_DIR), { recursive: true });
        fs.writeFileSync(path.join(dir, TYPES_DIR, file), text);
      }
      expect({ example: name, problems: typeCheck(dir) }).toEqual({ example: name, problems: [] });
    }
  });
});
