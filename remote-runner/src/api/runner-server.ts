import path from "node:path";
import { homeDir } from "../config/paths.js";
import { DockerSandboxProvider } from "../sandbox/docker-provider.js";
import { openStore, type Store } from "../store/store.js";
import { EnvironmentRegistry } from "./environments.js";
import { EventStream, type EventStreamOptions } from "./event-stream.js";
import { FairLimiter } from "./fair-limiter.js";
import { isLoopback, startHttpServer } from "./http-server.js";
import { acquirePidLock } from "./pid-lock.js";
import type { Route } from "./router.js";
import { environmentRoutes } from "./routes/environment-routes.js";
import { runRoutes } from "./routes/run-routes.js";
import { systemRoutes } from "./routes/system-routes.js";
import { trajectoryRoutes } from "./routes/trajectory-routes.js";
import { RunManager, type RecoveryReport } from "./run-manager.js";
import { loadOrCreateToken, type LoadedToken } from "./token.js";

export interface RunnerOptions {
  host?: string;
  port?: number;
  home?: string;
  tls?: { certFile: string; keyFile: string };
  /** Global limit of sandboxes in use at once, across every run. */
  maxSandboxes?: number;
  /** Hosts the runner's own policy API key (OPENAI_API_KEY) may be sent to; default none. */
  policyAllow?: readonly string[];
  /** Serve plain HTTP on a non-loopback address (the token then crosses the network in clear). */
  insecure?: boolean;
  /** Resume the runs a previous runner left unfinished (default true; `--no-resume` sets false). */
  resume?: boolean;
  stream?: Partial<EventStreamOptions>;
  log?: (line: string) => void;
}

export interface Runner {
  url: string;
  wsUrl: string;
  port: number;
  home: string;
  token: LoadedToken;
  store: Store;
  runs: RunManager;
  limiter: FairLimiter;
  stream: EventStream;
  reaped: number;
  recovery: RecoveryReport;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 7420;

/**
 * `agentrl serve`: opens the store, reaps containers a dead runner left behind, serves the API,
 * then resumes every run the previous process did not finish.
 */
export async function startRunner(opts: RunnerOptions = {}): Promise<Runner> {
  const log = opts.log ?? (() => {});
  const home = opts.home ?? homeDir();
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopback(host) && !opts.tls && !opts.insecure) {
    throw new Error(`refusing to serve plain HTTP on ${host}: the bearer token (which lets its holder run code on this machine) would cross the network in clear text. Fix: pass --tls-cert and --tls-key, keep the default 127.0.0.1 and tunnel over SSH, or pass --insecure on a network you trust.`);
  }
  const lock = acquirePidLock(home);
  try {
    const token = loadOrCreateToken(home);
    const store = openStore(home);
    const provider = await DockerSandboxProvider.connect();
    const reaped = await provider.reapOrphans();
    if (reaped) log(`removed ${reaped} sandbox container(s) left by a runner that is gone`);
    const limiter = new FairLimiter(opts.maxSandboxes ?? 8);
    const envs = new EnvironmentRegistry(path.join(home, "envs"));
    const runs = new RunManager({ store, home, envs, limiter, provider, log, policyAllow: opts.policyAllow ?? [] });
    const stream = new EventStream(store, opts.stream);
    const routes: Route[] = [];
    routes.push(...systemRoutes(() => routes), ...environmentRoutes(envs), ...runRoutes(store, runs), ...trajectoryRoutes(store));
    if (!isLoopback(host) && !opts.tls) log(`warning: listening on ${host} without TLS (--insecure); the bearer token crosses the network in clear text.`);
    const http = await startHttpServer({ host, port: opts.port ?? DEFAULT_PORT, token: token.token, routes, stream, ...(opts.tls ? { tls: opts.tls } : {}), log });
    const recovery = runs.recover({ resume: opts.resume !== false });
    let closed = false;
    return {
      url: http.url,
      wsUrl: http.wsUrl,
      port: http.port,
      home,
      token,
      store,
      runs,
      limiter,
      stream,
      reaped,
      recovery,
      close: async () => {
        if (closed) return;
        closed = true;
        await http.close();
        await runs.closePools();
        store.close();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
