// Starts a real VS Code (code-server, installed by scripts/setup-vscode.sh) with the packaged .vsix
// installed, and a Debian chromium driven by playwright-core. No mocks: this is the product as a user gets it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const repoRoot = path.resolve(__dirname, "../..");

export function vscodeTools(): { node24Bin: string; codeServer: string; chromium: string } {
  const out = execFileSync("bash", [path.join(repoRoot, "scripts/setup-vscode.sh"), "--print"], { encoding: "utf8" });
  const kv = Object.fromEntries(out.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  return { node24Bin: kv.NODE24_BIN!, codeServer: kv.CODE_SERVER!, chromium: kv.CHROMIUM! };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  url: string;
  root: string;
  userDataDir: string;
  workspace: string;
  log: () => string;
  stop(): Promise<void>;
}

/** Installs the .vsix into a fresh extensions dir and starts code-server on loopback for `workspace`. */
export async function startCodeServer(opts: { vsix: string; workspace: string; settings: Record<string, unknown> }): Promise<CodeServer> {
  const tools = vscodeTools();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-e2e-vscode-"));
  const userDataDir = path.join(root, "user-data");
  const extensionsDir = path.join(root, "extensions");
  const config = path.join(root, "config.yaml");
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, "User", "settings.json"), JSON.stringify(opts.settings, null, 2));
  fs.writeFileSync(config, "auth: none\n");
  const env = { ...process.env, PATH: `${tools.node24Bin}:${process.env.PATH}` };
  const base = ["--user-data-dir", userDataDir, "--extensions-dir", extensionsDir, "--config", config];
  execFileSync(path.join(tools.node24Bin, "node"), [tools.codeServer, ...base, "--install-extension", opts.vsix], { env, stdio: "pipe" });
  const port = await freePort();
  let output = "";
  const child: ChildProcess = spawn(
    path.join(tools.node24Bin, "node"),
    [tools.codeServer, ...base, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override", opts.workspace],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  child.stdout?.on("data", (d) => (output += String(d)));
  child.stderr?.on("data", (d) => (output += String(d)));
  // Ready when it logs its address (it prints "HTTP server listening on ...").
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${output}`)), 60_000);
    const check = (): void => {
      if (/HTTP server listening on/.test(output)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`code-server exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.workspace)}`,
    root,
    userDataDir,
    workspace: opts.workspace,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-child.pid, "SIGTERM"); // its own process group: extension host and embedded runner go too
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
      }
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: vscodeTools().chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

/**
 * Runs a command from VS Code's command palette by its title. The palette can close again right
 * after it opened (a webview or a notification taking focus on a loaded machine): then it is
 * opened again, up to three times, and the last failure is what the test reports.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator(".quick-input-widget input");
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press("F1");
      await input.waitFor({ state: "visible", timeout: 15_000 });
      await input.fill(`>${title}`, { timeout: 15_000 });
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
      await page.keyboard.press("Escape");
    }
  }
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible" });
  await row.click();
}

export function screenshotPath(name: string): string {
  const dir = path.join(repoRoot, "test-results", "e2e");
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
