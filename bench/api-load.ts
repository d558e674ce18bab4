/**
 * `agentrl bench api`: the event stream under load, on loopback, bounded in time. The runner's
 * stream (store + EventStream + HTTP front, as `agentrl serve` runs them) serves a run that emits
 * events at a fixed rate; a child process holds 50 WebSocket clients that follow the run and
 * measure delivery latency, plus one client that stops reading after the handshake. The runner
 * samples its own RSS the whole time, so a stalled client that made it buffer without bound
 * would show up as growth.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { WebSocket } from "ws";
import { EnvironmentRegistry } from "../remote-runner/src/api/environments.js";
import { DEFAULT_STREAM_OPTIONS, EventStream, type EventStreamOptions } from "../remote-runner/src/api/event-stream.js";
import { startHttpServer } from "../remote-runner/src/api/http-server.js";
import type { Route } from "../remote-runner/src/api/router.js";
import { environmentRoutes } from "../remote-runner/src/api/routes/environment-routes.js";
import { systemRoutes } from "../remote-runner/src/api/routes/system-routes.js";
import { trajectoryRoutes } from "../remote-runner/src/api/routes/trajectory-routes.js";
import { openStore } from "../remote-runner/src/store/store.js";

export interface LoadOptions {
  clients: number;
  ratePerS: number;
  seconds: number;
  eventBytes: number;
  /** Hold one client that never reads. */
  stalled: boolean;
  /** Client processes the clients are spread over (real clients are separate machines). */
  clientProcesses?: number;
  /** Stream settings; the default is what `agentrl serve` uses. Infinity turns the bounds off (control run). */
  stream?: Partial<EventStreamOptions>;
  /** argv to start this program's client role: [node, cli.js, "bench", "api-clients"]. */
  clientCommand: string[];
  log?: (line: string) => void;
}

export interface ClientReport {
  clients: number;
  live_clients: number;
  events_each: number[];
  missing: number;
  duplicates: number;
  out_of_order: number;
  latency_ms: { n: number; p50: number; p95: number; p99: number; max: number };
  /** Latency histogram, 0.1 ms buckets: bucket index → count (merged across client processes). */
  histogram: Record<string, number>;
}

export interface LoadResult {
  client_processes: number;
  clients: number;
  target_events_per_s: number;
  emitted: number;
  emitted_per_s: number;
  event_bytes: number;
  seconds: number;
  delivered_total: number;
  missing: number;
  duplicates: number;
  out_of_order: number;
  latency_ms: ClientReport["latency_ms"];
  p99_ok: boolean;
  rss_mb: { before_clients: number; start: number; max: number; end: number; growth: number };
  /** RSS every 5 s of the emitting phase: flat means bounded. */
  rss_timeline_mb: number[];
  /** Node Buffers outside the JS heap: where data queued on sockets lives. */
  buffers_mb: { start: number; max: number; end: number };
  stalled_client: { held: boolean; dropped_by_server: boolean; server_max_buffered_kb: number; drop_after_s: number | null };
  bytes_to_stalled_client_if_unbounded_mb: number;
  stream_settings: { high_water_kb: number; hard_limit_kb: number; stall_timeout_s: number };
}

const mb = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;

/** The runner side: store + stream + HTTP front on loopback, an event producer, RSS sampling. */
export async function runApiLoad(opts: LoadOptions): Promise<LoadResult> {
  const log = opts.log ?? (() => {});
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-bench-api-"));
  const token = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const store = openStore(home);
  const stream = new EventStream(store, opts.stream);
  const routes: Route[] = [];
  routes.push(...systemRoutes(() => routes), ...environmentRoutes(new EnvironmentRegistry(path.join(home, "envs"))), ...trajectoryRoutes(store));
  const http = await startHttpServer({ host: "127.0.0.1", port: 0, token, routes, stream });
  const runId = `bench-load-${Date.now()}`;
  store.createRun({ id: runId, config: { envDir: home, policy: { spec: "noop" }, group: 1, concurrency: 1, name: "api load" }, envName: "load", envHash: "" });
  const rss: number[] = [];
  const bufs: number[] = [];
  const rssBeforeClients = process.memoryUsage().rss;
  const [cmd, ...args] = opts.clientCommand as [string, ...string[]];
  const procs = Math.max(1, Math.min(opts.clientProcesses ?? 5, opts.clients));
  const children = Array.from({ length: procs }, (_, i) => {
    const n = Math.floor(opts.clients / procs) + (i < opts.clients % procs ? 1 : 0);
    const child = spawn(cmd, [...args, "--url", http.url, "--run", runId, "--clients", String(n), ...(opts.stalled && i === 0 ? ["--stalled"] : [])], {
      env: { ...process.env, AGENTRL_TOKEN: token },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const state = { child, out: "", exit: new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))) };
    child.stdout.on("data", (d: Buffer) => (state.out += d.toString()));
    return state;
  });
  // Hard stop for the whole bench: nothing outlives seconds + 60 s.
  const killer = setTimeout(() => children.forEach((c) => c.child.kill("SIGKILL")), (opts.seconds + 60) * 1000);
  try {
    await waitFor(() => children.every((c) => c.out.includes('"ready":true')), 30_000, () => `a client process did not get ready:\n${children.map((c) => c.out).join("\n")}`);
    log(`${opts.clients} clients live in ${procs} processes${opts.stalled ? " (+1 stalled)" : ""}; emitting ${opts.ratePerS} events/s of ${opts.eventBytes} bytes for ${opts.seconds} s`);
    const pad = "x".repeat(Math.max(0, opts.eventBytes - 120));
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rss.push(m.rss);
      bufs.push(m.arrayBuffers);
    }, 200);
    const t0 = performance.now();
    let emitted = 0;
    let dropAt: number | null = null;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = (performance.now() - t0) / 1000;
        if (dropAt === null && stream.stats().dropped > 0) dropAt = elapsed;
        const due = Math.min(Math.floor(elapsed * opts.ratePerS), opts.seconds * opts.ratePerS);
        while (emitted < due) {
          emitted++;
          // A log event: free text carries the send time (sub-ms) and the padding, within the event schema.
          store.appendEvent(runId, "log", { level: "info", message: `${performance.timeOrigin + performance.now()} ${emitted} ${pad}` });
        }
        if (emitted >= opts.seconds * opts.ratePerS) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    const wall = (performance.now() - t0) / 1000;
    store.appendEvent(runId, "log", { level: "info", message: `load-end ${emitted}` });
    await Promise.all(children.map((c) => c.exit));
    clearInterval(sampler);
    const reps = children.map((c) => {
      const line = c.out.split("\n").find((l) => l.startsWith("{") && l.includes('"latency_ms"'));
      if (!line) throw new Error(`a client process gave no report:\n${c.out}`);
      return JSON.parse(line) as ClientReport;
    });
    const rep = mergeReports(reps);
    const s = stream.stats();
    const o = { ...DEFAULT_STREAM_OPTIONS, ...opts.stream };
    return {
      client_processes: procs,
      clients: rep.clients,
      target_events_per_s: opts.ratePerS,
      emitted,
      emitted_per_s: Math.round(emitted / wall),
      event_bytes: opts.eventBytes,
      seconds: opts.seconds,
      delivered_total: rep.events_each.reduce((a, b) => a + b, 0),
      missing: rep.missing,
      duplicates: rep.duplicates,
      out_of_order: rep.out_of_order,
      latency_ms: rep.latency_ms,
      p99_ok: rep.latency_ms.p99 <= 100,
      rss_mb: { before_clients: mb(rssBeforeClients), start: mb(rss[0] ?? 0), max: mb(Math.max(...rss)), end: mb(rss.at(-1) ?? 0), growth: mb(Math.max(...rss) - (rss[0] ?? 0)) },
      rss_timeline_mb: rss.filter((_, i) => i % 25 === 0).map(mb),
      buffers_mb: { start: mb(bufs[0] ?? 0), max: mb(Math.max(...bufs)), end: mb(bufs.at(-1) ?? 0) },
      stalled_client: { held: opts.stalled, dropped_by_server: s.dropped > 0, server_max_buffered_kb: Math.round(s.maxBufferedBytes / 1024), drop_after_s: dropAt === null ? null : Math.round((dropAt as number) * 10) / 10 },
      bytes_to_stalled_client_if_unbounded_mb: opts.stalled ? mb(emitted * (opts.eventBytes + 100)) : 0,
      stream_settings: { high_water_kb: o.highWaterBytes / 1024, hard_limit_kb: o.hardLimitBytes / 1024, stall_timeout_s: o.stallTimeoutMs / 1000 },
    };
  } finally {
    clearTimeout(killer);
    for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
    await http.close();
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const BUCKET_MS = 0.1;

function latencySummary(hist: Map<number, number>): ClientReport["latency_ms"] {
  const keys = [...hist.keys()].sort((a, b) => a - b);
  const n = keys.reduce((a, k) => a + (hist.get(k) ?? 0), 0);
  const at = (p: number): number => {
    const rank = Math.max(1, Math.ceil((p / 100) * n));
    let seen = 0;
    for (const k of keys) {
      seen += hist.get(k) ?? 0;
      if (seen >= rank) return Math.round(k * BUCKET_MS * 100) / 100;
    }
    return NaN;
  };
  return { n, p50: at(50), p95: at(95), p99: at(99), max: Math.round((keys.at(-1) ?? NaN) * BUCKET_MS * 100) / 100 };
}

function mergeReports(reps: ClientReport[]): ClientReport {
  const hist = new Map<number, number>();
  for (const r of reps) for (const [k, v] of Object.entries(r.histogram)) hist.set(Number(k), (hist.get(Number(k)) ?? 0) + v);
  return {
    clients: reps.reduce((a, r) => a + r.clients, 0),
    live_clients: reps.reduce((a, r) => a + r.live_clients, 0),
    events_each: reps.flatMap((r) => r.events_each),
    missing: reps.reduce((a, r) => a + r.missing, 0),
    duplicates: reps.reduce((a, r) => a + r.duplicates, 0),
    out_of_order: reps.reduce((a, r) => a + r.out_of_order, 0),
    latency_ms: latencySummary(hist),
    histogram: Object.fromEntries(hist),
  };
}

function waitFor(pred: () => boolean, ms: number, why: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const t = setInterval(() => {
      if (pred()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - start > ms) {
        clearInterval(t);
        reject(new Error(why()));
      }
    }, 20);
  });
}

/**
 * The client side (its own process, so its work and memory are not the runner's): N clients follow
 * the run; latency = receive time − the producer's timestamp. Seq and timestamp are read from the
 * head of each frame with a regex, keeping 50 clients' parsing cheap.
 */
export async function runLoadClients(opts: { url: string; token: string; runId: string; clients: number; stalled: boolean }): Promise<void> {
  const u = new URL(opts.url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) throw new Error("the load test only targets loopback");
  const wsUrl = `${opts.url.replace(/^http/, "ws")}/v1/events?after=0&runId=${encodeURIComponent(opts.runId)}`;
  const latencies: number[] = [];
  const counts: number[] = [];
  let missing = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let live = 0;
  const ended: Promise<void>[] = [];
  const ready: Promise<void>[] = [];
  const head = /"seq":(\d+).*?"data":\{"level":"info","message":"([\d.]+) /;
  for (let i = 0; i < opts.clients; i++) {
    const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${opts.token}` }, perMessageDeflate: false });
    let last = 0;
    let n = 0;
    counts.push(0);
    ready.push(new Promise((resolve, reject) => {
      ws.once("error", reject);
      ws.on("message", (raw: Buffer) => {
        const text = raw.toString("latin1", 0, Math.min(raw.length, 400));
        if (text.includes('"kind":"live"')) {
          live++;
          resolve();
          return;
        }
        const m = head.exec(text);
        if (!m) {
          if (text.includes("load-end")) ws.close();
          return;
        }
        const now = performance.timeOrigin + performance.now();
        const seq = Number(m[1]);
        if (seq === last) duplicates++;
        else if (seq < last) outOfOrder++;
        else if (last !== 0 && seq !== last + 1) missing += seq - last - 1;
        last = Math.max(last, seq);
        n++;
        counts[i] = n;
        latencies.push(now - Number(m[2]));
      });
    }));
    ended.push(new Promise((resolve) => ws.once("close", () => resolve())));
  }
  await Promise.all(ready);
  let stalledSocket: net.Socket | null = null;
  if (opts.stalled) {
    stalledSocket = await stalledClient(wsUrl, opts.token);
  }
  console.log(JSON.stringify({ ready: true, live }));
  await Promise.all(ended);
  stalledSocket?.destroy();
  const hist = new Map<number, number>();
  for (const l of latencies) {
    const b = Math.max(0, Math.ceil(l / BUCKET_MS));
    hist.set(b, (hist.get(b) ?? 0) + 1);
  }
  const report: ClientReport = {
    clients: opts.clients,
    live_clients: live,
    events_each: counts,
    missing,
    duplicates,
    out_of_order: outOfOrder,
    latency_ms: latencySummary(hist),
    histogram: Object.fromEntries(hist),
  };
  console.log(JSON.stringify(report));
}

/** A client that completes the WebSocket handshake and then never reads another byte. */
function stalledClient(wsUrl: string, token: string): Promise<net.Socket> {
  const u = new URL(wsUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    socket.on("error", () => undefined);
    socket.once("connect", () =>
      socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c3RhbGxlZC1jbGllbnQtMQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      ),
    );
    socket.once("data", (d: Buffer) => {
      if (!d.toString("latin1").startsWith("HTTP/1.1 101")) return reject(new Error("stalled client: handshake refused"));
      socket.pause(); // from here on, nothing is read: the kernel buffers fill, then the server's
      resolve(socket);
    });
  });
}
