import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import Docker from "dockerode";
import { managedDockerPaths } from "../config/paths.js";

export type DockerSource = "DOCKER_HOST" | "default-socket" | "managed";

export interface DockerEndpoint {
  source: DockerSource;
  /** As the docker CLI takes it with `-H`. */
  host: string;
}

export interface ConnectedDocker {
  docker: Docker;
  endpoint: DockerEndpoint;
  serverVersion: string;
  apiVersion: string;
}

/** Raised when no Docker engine can be used; the message always names the fix. */
export class DockerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DockerUnavailableError";
  }
}

const DEFAULT_SOCKET = "/var/run/docker.sock";

function candidates(): DockerEndpoint[] {
  const list: DockerEndpoint[] = [];
  if (process.env.DOCKER_HOST) list.push({ source: "DOCKER_HOST", host: process.env.DOCKER_HOST });
  list.push({ source: "default-socket", host: `unix://${DEFAULT_SOCKET}` });
  list.push({ source: "managed", host: `unix://${managedDockerPaths().socket}` });
  return list;
}

export function dockerFor(endpoint: DockerEndpoint): Docker {
  // DOCKER_HOST may carry TLS settings (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) that docker-modem reads itself.
  if (endpoint.source === "DOCKER_HOST") return new Docker();
  if (endpoint.host.startsWith("unix://")) return new Docker({ socketPath: endpoint.host.slice("unix://".length) });
  const url = new URL(endpoint.host.replace(/^tcp:/, "http:"));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: "http" });
}

async function tryEndpoint(endpoint: DockerEndpoint, timeoutMs: number): Promise<ConnectedDocker | string> {
  if (endpoint.host.startsWith("unix://") && !fs.existsSync(endpoint.host.slice(7))) return "socket does not exist";
  const docker = dockerFor(endpoint);
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { docker, endpoint, serverVersion: version.Version, apiVersion: version.ApiVersion };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Finds a reachable daemon: DOCKER_HOST, then the default socket, then the engine `agentrl doctor` manages. */
export async function findDocker(timeoutMs = 3000): Promise<{ found: ConnectedDocker | null; tried: { endpoint: DockerEndpoint; error: string }[] }> {
  const tried: { endpoint: DockerEndpoint; error: string }[] = [];
  for (const endpoint of candidates()) {
    const result = await tryEndpoint(endpoint, timeoutMs);
    if (typeof result !== "string") return { found: result, tried };
    tried.push({ endpoint, error: result });
    // An explicit DOCKER_HOST that fails is a configuration error; don't silently use another daemon.
    if (endpoint.source === "DOCKER_HOST") break;
  }
  return { found: null, tried };
}

let cached: Promise<ConnectedDocker> | undefined;

/** The Docker connection every part of the runner uses; fails with the fix spelled out. */
export function connectDocker(): Promise<ConnectedDocker> {
  cached ??= findDocker().then(({ found, tried }) => {
    if (found) return found;
    cached = undefined;
    throw new DockerUnavailableError(
      `No Docker engine is reachable (tried ${tried.map((t) => `${t.endpoint.host}: ${t.error}`).join("; ")}). ` +
        "Fix: run `agentrl doctor --fix` (as root on Debian it installs docker.io and starts a private dockerd), " +
        "or start Docker yourself and set DOCKER_HOST.",
    );
  });
  return cached;
}

function canInstallDocker(): { ok: boolean; why: string } {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return { ok: false, why: "not running as root" };
  if (!fs.existsSync("/etc/debian_version")) return { ok: false, why: "not a Debian system" };
  if (spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) return { ok: false, why: "apt-get not found" };
  return { ok: true, why: "" };
}

function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

function runLogged(cmd: string, args: string[], log: (line: string) => void): void {
  log(`$ ${cmd} ${args.join(" ")}`);
  const res = spawnSync(cmd, args, { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) {
    throw new DockerUnavailableError(`\`${cmd} ${args.join(" ")}\` failed (exit ${res.status}): ${(res.stderr || res.stdout || "").trim().split("\n").slice(-5).join(" | ")}`);
  }
}

/** Installs Debian packages with apt-get (root only); used for docker.io and debootstrap. */
export function aptInstall(packages: string[], log: (line: string) => void): void {
  const can = canInstallDocker();
  if (!can.ok) throw new DockerUnavailableError(`cannot install ${packages.join(", ")}: ${can.why}. Fix: install them with your package manager.`);
  runLogged("apt-get", ["update", "-q"], log);
  runLogged("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], log);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts dockerd with its own socket, data root and exec root under the cache folder, detached from this process. */
async function startManagedDockerd(log: (line: string) => void): Promise<ConnectedDocker> {
  const p = managedDockerPaths();
  for (const dir of [p.root, p.dataRoot, p.execRoot]) fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(p.pidfile)) {
    const pid = Number(fs.readFileSync(p.pidfile, "utf8").trim());
    if (!pid || !pidAlive(pid)) fs.rmSync(p.pidfile, { force: true });
  }
  if (!fs.existsSync(p.pidfile)) {
    if (fs.existsSync(p.socket)) fs.rmSync(p.socket, { force: true });
    log(`starting dockerd (socket ${p.socket}, data root ${p.dataRoot}, log ${p.log})`);
    const out = fs.openSync(p.log, "a");
    const child = spawn(
      "dockerd",
      ["--host", `unix://${p.socket}`, "--data-root", p.dataRoot, "--exec-root", p.execRoot, "--pidfile", p.pidfile],
      { detached: true, stdio: ["ignore", out, out] },
    );
    child.unref();
    fs.closeSync(out);
  }
  const endpoint: DockerEndpoint = { source: "managed", host: `unix://${p.socket}` };
  const deadline = Date.now() + 90_000;
  let last = "";
  while (Date.now() < deadline) {
    const res = await tryEndpoint(endpoint, 2000);
    if (typeof res !== "string") return res;
    last = res;
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = fs.existsSync(p.log) ? fs.readFileSync(p.log, "utf8").trim().split("\n").slice(-5).join("\n") : "";
  throw new DockerUnavailableError(`dockerd did not answer within 90 s (${last}). Its log (${p.log}) ends with:\n${tail}`);
}

export interface DoctorReport {
  ok: boolean;
  docker: { source: DockerSource; host: string; serverVersion: string; apiVersion: string } | null;
  actions: string[];
  checks: { name: string; ok: boolean; detail: string }[];
}

/**
 * Makes sure a Docker engine is usable. With `fix`, and only as root on Debian, installs docker.io
 * and starts a private dockerd under the cache folder when no daemon is reachable.
 */
export async function doctor(opts: { fix: boolean; log?: (line: string) => void }): Promise<DoctorReport> {
  const log = opts.log ?? (() => {});
  const actions: string[] = [];
  const checks: DoctorReport["checks"] = [];
  const first = await findDocker();
  const tried = first.tried;
  let found = first.found;
  if (!found && opts.fix && !process.env.DOCKER_HOST) {
    if (!hasCommand("dockerd")) {
      actions.push("installed docker.io with apt-get");
      aptInstall(["docker.io"], log);
    }
    found = await startManagedDockerd(log);
    actions.push(`started dockerd at ${found.endpoint.host}`);
    cached = Promise.resolve(found);
  }
  if (!found) {
    const can = canInstallDocker();
    const fix = process.env.DOCKER_HOST
      ? `DOCKER_HOST=${process.env.DOCKER_HOST} does not answer: start that daemon or unset DOCKER_HOST`
      : can.ok
        ? "run `agentrl doctor --fix` to install docker.io and start a private dockerd"
        : `install Docker and start it, or set DOCKER_HOST (automatic install impossible: ${can.why})`;
    checks.push({ name: "docker engine", ok: false, detail: `${tried.map((t) => `${t.endpoint.host}: ${t.error}`).join("; ")}. Fix: ${fix}` });
    return { ok: false, docker: null, actions, checks };
  }
  checks.push({ name: "docker engine", ok: true, detail: `${found.endpoint.host} (${found.endpoint.source}), server ${found.serverVersion}, API ${found.apiVersion}` });
  const info = (await found.docker.info()) as { CgroupVersion?: string; Driver?: string; NCPU?: number; MemTotal?: number };
  checks.push({ name: "storage and cgroups", ok: true, detail: `driver ${info.Driver ?? "?"}, cgroup v${info.CgroupVersion ?? "?"}, ${info.NCPU ?? "?"} CPUs, ${Math.round((info.MemTotal ?? 0) / 2 ** 30)} GiB` });
  const deboot = hasCommand("debootstrap");
  checks.push({ name: "debootstrap (offline base image)", ok: deboot || canInstallDocker().ok, detail: deboot ? "installed" : "missing; `agentrl images build` installs it with apt-get when run as root" });
  return {
    ok: checks.every((c) => c.ok),
    docker: { source: found.endpoint.source, host: found.endpoint.host, serverVersion: found.serverVersion, apiVersion: found.apiVersion },
    actions,
    checks,
  };
}
