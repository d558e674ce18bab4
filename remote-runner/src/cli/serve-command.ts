import type { Command } from "commander";
import { DEFAULT_PORT, startRunner } from "../api/runner-server.js";
import { intArg } from "./run-options.js";

interface ServeFlags {
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  maxSandboxes: number;
  policyAllow?: string;
  insecure?: boolean;
  resume: boolean;
  quiet?: boolean;
}

/** `--policy-allow a.example,127.0.0.1`: host names, without scheme or port. */
function hostList(value: string): string[] {
  const hosts = value.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of hosts) {
    if (/[/:]/.test(h) && !/^[0-9a-f:]+$/.test(h)) throw new Error(`--policy-allow takes host names (got "${h}"). Fix: drop the scheme, path and port, e.g. --policy-allow api.openai.com`);
  }
  return hosts;
}

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run the runner service: authenticated HTTP API + WebSocket event stream; resumes runs a crash interrupted")
    .option("--host <addr>", "address to bind (loopback by default; anything else needs TLS or a tunnel)", "127.0.0.1")
    .option("--port <n>", "TCP port", intArg("--port", 0), DEFAULT_PORT)
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS and WSS")
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option("--max-sandboxes <n>", "global limit of sandboxes in use at once, shared fairly by all runs", intArg("--max-sandboxes"), 8)
    .option("--policy-allow <hosts>", "comma-separated hosts the runner's own OPENAI_API_KEY / AGENTRL_POLICY_API_KEY may be sent to (default: none; runs may still send their own policy.apiKey)")
    .option("--insecure", "allow plain HTTP on a non-loopback --host (the token then crosses the network in clear text)")
    .option("--no-resume", "start without resuming the runs a previous runner left unfinished (they resume at a later start without it)")
    .option("--quiet", "no request log")
    .action(async (flags: ServeFlags) => {
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new Error("--tls-cert and --tls-key go together. Fix: pass both, or neither for plain HTTP on loopback.");
      const log = (line: string): void => {
        process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      };
      const runner = await startRunner({
        host: flags.host,
        port: flags.port,
        maxSandboxes: flags.maxSandboxes,
        policyAllow: flags.policyAllow ? hostList(flags.policyAllow) : [],
        insecure: Boolean(flags.insecure),
        resume: flags.resume,
        ...(flags.tlsCert && flags.tlsKey ? { tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey } } : {}),
        log: flags.quiet ? (l) => (/^(GET|POST|PUT|DELETE|OPTIONS|HEAD) /.test(l) ? undefined : log(l)) : log,
      });
      log(`AgentRL runner listening on ${runner.url} (data ${runner.home}, at most ${flags.maxSandboxes} sandboxes at once)`);
      if (runner.token.source === "generated") {
        // Shown this once, on the terminal only; later starts point at the file.
        process.stderr.write(`\nAPI token (saved to ${runner.token.file}, mode 0600; shown only now):\n\n  ${runner.token.token}\n\n`);
      } else if (runner.token.source === "file") {
        log(`API token: in ${runner.token.file}`);
      } else {
        log("API token: from AGENTRL_TOKEN");
      }
      if (runner.recovery.left.length) log(`not resumed (--no-resume): ${runner.recovery.left.join(", ")}`);
      for (const f of runner.recovery.failed) log(`run ${f.runId} failed at start: ${f.error}`);
      if (runner.recovery.resumed.length) log(`resumed ${runner.recovery.resumed.length} run(s) a previous runner left unfinished: ${runner.recovery.resumed.map((r) => r.runId).join(", ")}`);
      // Machine-readable readiness line for scripts and tests that start the server.
      console.log(JSON.stringify({ ready: true, url: runner.url, port: runner.port, pid: process.pid }));
      const stop = (signal: string): void => {
        log(`${signal}: stopping; unfinished runs resume at the next start`);
        void runner.close().finally(() => process.exit(0));
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
}
