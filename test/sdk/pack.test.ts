// The SDK tarball (npm run pack -w @agentrl/sdk) installs offline into a fresh folder, type-checks
// an env.ts there with plain settings (no paths mapping), and runs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-sdk-pack-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("npm pack of the SDK", () => {
  it("installs with --offline, type-checks env.ts and grades at run time", () => {
    const tgz = execFileSync(process.execPath, ["--import", "tsx", path.join(repo, "sdk/scripts/pack.ts"), tmp], { cwd: repo, encoding: "utf8" }).trim().split("\n").pop() ?? "";
    expect(fs.existsSync(tgz)).toBe(true);
    const app = path.join(tmp, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", tgz], { cwd: app, encoding: "utf8" });
    fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, lib: ["ES2022", "DOM"], types: [] }, include: ["*.ts"] }));
    fs.writeFileSync(path.join(app, "calc.py"), "print(1)\n");
    fs.writeFileSync(
      path.join(app, "env.ts"),
      `import { defineEnvironment, defineReward, exactMatch } from "@agentrl/sdk";\nimport CALC from "./calc.py";\nconst short = defineReward({ name: "short", score: ({ finalAnswer }) => finalAnswer.length < CALC.length });\nexport default defineEnvironment({ name: "x", rewards: [exactMatch(), short] });\n`,
    );
    const tsc = path.join(repo, "node_modules/.bin/tsc");
    expect(execFileSync(tsc, ["--noEmit", "-p", app], { encoding: "utf8" })).toBe("");
    fs.writeFileSync(path.join(app, "bad.ts"), `import { defineReward } from "@agentrl/sdk";\nexport const r = defineReward({ name: "r", score: () => "yes" });\n`);
    let out = "";
    try {
      execFileSync(tsc, ["--noEmit", "-p", app], { encoding: "utf8" });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout);
    }
    expect(out).toMatch(/bad\.ts\(2,/);
    const run = `import { exactMatch } from "@agentrl/sdk"; const r = exactMatch(); console.log(JSON.stringify(await r.score({ finalAnswer: "<answer>42</answer>", task: { id: "t", answer: 42 } })));`;
    expect(execFileSync(process.execPath, ["--input-type=module", "-e", run], { cwd: app, encoding: "utf8" }).trim()).toBe("true");
  }, 120_000);
});
