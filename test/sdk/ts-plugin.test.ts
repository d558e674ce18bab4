// The extension's TypeScript server plugin, in a real tsserver: an env.ts in a folder with no
// node_modules and no tsconfig gets the SDK's types (0 problems, the calculator's `./calc.py`
// included), doc comments on hover and the graders in completions; a reward returning a string is
// an error at its line. The same file without the plugin shows the problem it solves.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-ts-plugin-"));
const probe = path.join(tmp, "ext");
const work = path.join(tmp, "work");

interface Reply { success: boolean; body?: unknown; message?: string }

/** A tsserver over stdio (the protocol VS Code speaks): requests by seq, replies matched by request_seq. */
class TsServer {
  private seq = 0;
  private buf = "";
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private readonly proc: ChildProcess;
  constructor(args: string[]) {
    this.proc = spawn(process.execPath, [path.join(repo, "node_modules/typescript/lib/tsserver.js"), "--disableAutomaticTypingAcquisition", ...args], { stdio: ["pipe", "pipe", "ignore"] });
    this.proc.stdout?.setEncoding("utf8").on("data", (d: string) => this.onData(d));
  }
  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      const m = /Content-Length: (\d+)\r\n\r\n/.exec(this.buf);
      if (!m) return;
      const start = m.index + m[0].length;
      const len = Number(m[1]);
      if (Buffer.byteLength(this.buf.slice(start)) < len) return;
      const bytes = Buffer.from(this.buf.slice(start));
      const msg = JSON.parse(bytes.subarray(0, len).toString("utf8")) as { type: string; request_seq?: number } & Reply;
      this.buf = bytes.subarray(len).toString("utf8");
      if (msg.type === "response" && msg.request_seq !== undefined) this.waiting.get(msg.request_seq)?.(msg);
    }
  }
  request(command: string, args: unknown): Promise<Reply> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      this.proc.stdin?.write(`${JSON.stringify({ seq, type: "request", command, arguments: args })}\n`);
    });
  }
  close(): void {
    this.proc.kill();
  }
}

async function problems(server: TsServer, file: string): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of ["syntacticDiagnosticsSync", "semanticDiagnosticsSync"]) {
    const r = await server.request(cmd, { file, includeLinePosition: true });
    for (const d of r.body as { message: string; startLocation: { line: number } }[]) out.push(`${d.startLocation.line}: ${d.message}`);
  }
  return out;
}

function position(text: string, needle: string, delta = 0): { line: number; offset: number } {
  const i = text.indexOf(needle) + delta;
  const before = text.slice(0, i).split("\n");
  return { line: before.length, offset: (before[before.length - 1]?.length ?? 0) + 1 };
}

let withPlugin: TsServer;
let without: TsServer;
beforeAll(async () => {
  const pluginDir = path.join(probe, "node_modules/agentrl-sdk-ts-plugin");
  await build({ entryPoints: [path.join(repo, "src/ts-plugin/index.ts")], outfile: path.join(pluginDir, "index.js"), bundle: true, platform: "node", format: "cjs", external: ["typescript"], logLevel: "silent" });
  fs.cpSync(path.join(repo, "sdk/types"), path.join(pluginDir, "types"), { recursive: true });
  fs.writeFileSync(path.join(pluginDir, "package.json"), JSON.stringify({ name: "agentrl-sdk-ts-plugin", main: "index.js" }));
  fs.cpSync(path.join(repo, "examples/calculator"), path.join(work, "calculator"), { recursive: true });
  withPlugin = new TsServer(["--globalPlugins", "agentrl-sdk-ts-plugin", "--pluginProbeLocations", probe]);
  without = new TsServer([]);
}, 60_000);
afterAll(() => {
  withPlugin?.close();
  without?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the SDK's TypeScript server plugin", () => {
  it("every example env.ts shows 0 problems in a folder with no node_modules and no tsconfig (without the plugin: cannot find the SDK)", async () => {
    for (const name of fs.readdirSync(path.join(repo, "examples"))) {
      const src = path.join(repo, "examples", name);
      if (!fs.existsSync(path.join(src, "env.ts"))) continue;
      fs.cpSync(src, path.join(work, name), { recursive: true });
      const file = path.join(work, name, "env.ts");
      await withPlugin.request("open", { file });
      expect({ name, problems: await problems(withPlugin, file) }).toEqual({ name, problems: [] });
    }
    const file = path.join(work, "calculator", "env.ts");
    await without.request("open", { file });
    expect((await problems(without, file)).join("\n")).toMatch(/Cannot find module '@agentrl\/sdk'/);
  }, 120_000);

  it("hover on finalAnswer shows its doc; completion in the SDK import offers exactMatch, judge and rubric; a reward returning a string is an error at its line", async () => {
    const file = path.join(work, "draft", "env.ts");
    const text = [
      'import { defineEnvironment, defineReward } from "@agentrl/sdk";',
      "",
      'const bad = defineReward({ name: "bad", score: (ctx) => ctx.finalAnswer.trim() });',
      "",
      'export default defineEnvironment({ name: "draft", rewards: [bad] });',
      "",
    ].join("\n");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    await withPlugin.request("open", { file });
    const hover = await withPlugin.request("quickinfo", { file, ...position(text, "finalAnswer.trim", 2) });
    expect(hover.body).toMatchObject({ displayString: expect.stringContaining("finalAnswer: string"), documentation: expect.stringContaining("Content of the last assistant message") });
    const bad = await problems(withPlugin, file);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^3: Type '.*string.*' is not assignable/s);
    const completion = await withPlugin.request("completionInfo", { file, ...position(text, "defineReward }", "defineReward".length) });
    const names = (completion.body as { entries: { name: string }[] }).entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["exactMatch", "judge", "rubric", "stringCheck", "textSimilarity"]));
  }, 60_000);
});
