import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { RunnerClient } from "../../remote-runner/src/api/client";

export interface EmbeddedRunnerOptions {
  /** The `agentrl` CLI: a `.js` file run with `node`, or an executable. */
  command: string;
  node: string;
  /** AGENTRL_HOME of the embedded runner (the extension's global storage). */
  home: string;
  token: string;
  log: (line: string) => void;
}

/** Asks the OS for a free loopback port. */
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

export function newToken(): string {
  return crypto.randomBytes(32).toString("base64url");
}

/**
 * The local runner the extension starts itself: `agentrl serve` on loopback with its data in the
 * extension's global storage. The token is made by the extension (kept in SecretStorage) and handed
 * over in AGENTRL_TOKEN, so it never sits in settings or on a command line.
 */
export class EmbeddedRunner {
  private child: ChildProcess | null = null;
  private exitInfo: string | null = null;
  client: RunnerClient | null = null;

  constructor(private readonly opts: EmbeddedRunnerOptions) {}

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  async start(signal?: AbortSignal): Promise<RunnerClient> {
    if (this.running && this.client) return this.client;
    const { command, node, home, token, log } = this.opts;
    if (!fs.existsSync(command) && command.includes(path.sep)) {
      throw new Error(`The runner CLI ${command} does not exist. Fix: set "agentrl.runnerCommand" to the agentrl CLI (remote-runner/dist/cli.js after \`npm run build\`), or install agentrl on PATH.`);
    }
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    const port = await freePort();
    const [exe, args] = command.endsWith(".js") ? [node, [command]] : [command, []];
    log(`starting embedded runner: ${exe} ${[...args, "serve", "--host", "127.0.0.1", "--port", String(port)].join(" ")} (AGENTRL_HOME=${home})`);
    this.exitInfo = null;
    const child = spawn(exe, [...args, "serve", "--host", "127.0.0.1", "--port", String(port)], {
      env: { ...process.env, AGENTRL_HOME: home, AGENTRL_TOKEN: token, ELECTRON_RUN_AS_NODE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const tail: string[] = [];
    const onData = (buf: Buffer): void => {
      for (const line of String(buf).split(/\r?\n/)) {
        if (!line.trim()) continue;
        log(`[runner] ${line}`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("error", (err) => {
      this.exitInfo = (err as NodeJS.ErrnoException).code === "ENOENT" ? `could not start: ${exe} was not found. Fix: set "agentrl.nodePath" to a Node.js 20.19+ binary (or "agentrl.runnerCommand" to the agentrl CLI)` : `could not start (${err.message})`;
    });
    child.on("exit", (code, sig) => {
      this.exitInfo = `exited with ${sig ?? code}`;
      log(`embedded runner ${this.exitInfo}`);
    });
    const client = new RunnerClient(`http://127.0.0.1:${port}`, token);
    // Ready when health answers; fail fast if the process dies first.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (signal?.aborted) {
        this.stop();
        throw new Error("Cancelled.");
      }
      if (this.exitInfo) throw new Error(`The embedded runner ${this.exitInfo}. Last output:\n${tail.join("\n")}\nFix: see the AgentRL output channel; \`node ${command} doctor\` checks Docker.`);
      try {
        await client.health();
        break;
      } catch {
        if (Date.now() > deadline) {
          this.stop();
          throw new Error(`The embedded runner did not answer on port ${port} within 60 s. Fix: see the AgentRL output channel.`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    this.client = client;
    return client;
  }

  stop(): void {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGTERM");
    this.child = null;
    this.client = null;
  }
}
