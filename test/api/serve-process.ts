// Starts `agentrl serve` (the built CLI) as a child process, the way a user runs it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const CLI = path.resolve(__dirname, "../../remote-runner/dist/cli.js");

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  stderr: () => string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
}

export function startServe(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--quiet", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  let out = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? String(code))));
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{") && l.includes('"ready"'));
      if (line) {
        const ready = JSON.parse(line) as { url: string; pid: number };
        resolve({ child, url: ready.url, pid: ready.pid, stderr: () => err, exited });
      }
    });
    void exited.then((how) => reject(new Error(`agentrl serve exited (${how}) before it was ready:\n${err}`)));
  });
}

/** Stops the runners a test started (SIGTERM) and waits until they are gone. */
export async function stopServes(servers: ServeProcess[]): Promise<void> {
  for (const s of servers) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill("SIGTERM");
      await s.exited;
    }
  }
}
