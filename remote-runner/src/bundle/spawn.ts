import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { BUNDLE_PROCESS_SOURCE } from "./child-source.js";

/** What a bundle process may see of the runner's environment: nothing secret (no tokens, keys, DOCKER_HOST, AGENTRL_HOME). */
const PASSED_ENV = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/** How bundle processes are confined beyond Node's permission model, found once per runner process. */
export interface BundleIsolation {
  /** A network namespace of its own (no interface but a down loopback): no socket reaches anything. */
  networkNamespace: boolean;
  /** A PID namespace of its own: no process of the runner's can be named, let alone signalled. */
  pidNamespace: boolean;
  /** Killed by the kernel when the runner dies, even in the middle of an endless loop. */
  diesWithRunner: boolean;
  /** The command line that starts the process before `node` (setpriv, unshare). */
  prefix: string[];
}

let isolation: BundleIsolation | null = null;

const works = (argv: string[]): boolean => spawnSync(argv[0] as string, [...argv.slice(1), "true"], { stdio: "ignore", timeout: 10_000 }).status === 0;

/**
 * The strongest confinement this runner can set up: network and PID namespaces (`unshare -n -p`
 * with the right to, else inside a user namespace `-r`; a network namespace alone where PID
 * namespaces are refused), and the parent-death signal (setpriv; `--kill-child` passes it on
 * through unshare's fork), so an orphaned process never spins on. `AGENTRL_BUNDLE_NETNS=off` skips
 * the namespaces (where they misbehave); the in-process refusals (child-source.ts) stay either way.
 */
export function bundleIsolation(): BundleIsolation {
  if (isolation) return isolation;
  const pdeath = ["setpriv", "--pdeathsig", "KILL", "--"];
  const diesWithRunner = works(pdeath);
  const base = diesWithRunner ? pdeath : [];
  const withPid = ["-p", "-f", "--kill-child", "--"];
  const tries = process.env.AGENTRL_BUNDLE_NETNS === "off" ? [] : [["unshare", "-n", ...withPid], ["unshare", "-r", "-n", ...withPid], ["unshare", "-n", "--"], ["unshare", "-r", "-n", "--"]];
  const ns = tries.find((t) => works([...base, ...t]));
  isolation = { networkNamespace: Boolean(ns), pidNamespace: Boolean(ns?.includes("-p")), diesWithRunner, prefix: [...base, ...(ns ?? [])] };
  return isolation;
}

/**
 * A bundle process (child-source.ts): a separate Node process under Node's permission model. It may
 * read its bundle and nothing else on disk (no store, no token file), write nothing, start no
 * processes or threads, has no network and cannot signal the runner (bundleIsolation, and the
 * refusals in child-source.ts), and gets none of the runner's secrets in its environment.
 */
export function spawnBundleProcess(bundlePath: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { AGENTRL_BUNDLE: bundlePath };
  for (const k of PASSED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  const argv = [process.execPath, "--experimental-permission", `--allow-fs-read=${bundlePath}`, "--no-warnings", "-e", BUNDLE_PROCESS_SOURCE];
  const [cmd, ...args] = [...bundleIsolation().prefix, ...argv] as [string, ...string[]];
  // A process group of its own (detached): a signal to "my group" (kill 0) cannot reach the runner.
  return spawn(cmd, args, { env, stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced", detached: true });
}
