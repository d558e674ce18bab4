import { type Command, Option } from "commander";
import { runApiFuzz } from "../../../bench/api-fuzz.js";
import { runApiLoad, runLoadClients, type LoadResult } from "../../../bench/api-load.js";
import { startRunner } from "../api/runner-server.js";
import { intArg } from "./run-options.js";

function printLoad(label: string, r: LoadResult): void {
  console.log(`${label}`);
  console.log(`  ${r.clients} clients in ${r.client_processes} processes, ${r.emitted} events at ${r.emitted_per_s}/s (${r.event_bytes} B each) for ${r.seconds} s`);
  console.log(`  delivered ${r.delivered_total} (missing ${r.missing}, duplicates ${r.duplicates}, out of order ${r.out_of_order})`);
  console.log(`  delivery latency p50 ${r.latency_ms.p50} ms, p95 ${r.latency_ms.p95} ms, p99 ${r.latency_ms.p99} ms, max ${r.latency_ms.max} ms  (${r.p99_ok ? "p99 ≤ 100 ms ✓" : "p99 > 100 ms ✗"})`);
  console.log(`  runner RSS ${r.rss_mb.start} MB at start → max ${r.rss_mb.max} MB, end ${r.rss_mb.end} MB (growth ${r.rss_mb.growth} MB); Buffers ${r.buffers_mb.start} → max ${r.buffers_mb.max} MB`);
  console.log(`  runner RSS every 5 s (MB): ${r.rss_timeline_mb.join(" → ")}`);
  if (r.stalled_client.held) {
    console.log(`  stalled client: ${r.stalled_client.dropped_by_server ? `dropped after ${r.stalled_client.drop_after_s} s with a resumable marker` : "not dropped"}; most bytes queued for one client ${r.stalled_client.server_max_buffered_kb} KiB; an unbounded queue would have held ~${r.bytes_to_stalled_client_if_unbounded_mb} MB`);
  }
}

/** `agentrl bench api` (stream load test), `agentrl bench api-fuzz`, and the hidden client role of the load test. */
export function registerApiBenchCommands(bench: Command): void {
  bench
    .command("api")
    .description("event stream load test on loopback: 50 WebSocket clients follow a run emitting 200 events/s; p99 latency and runner RSS with one stalled client")
    .option("--clients <n>", "WebSocket clients", intArg("--clients"), 50)
    .option("--rate <n>", "events per second", intArg("--rate"), 200)
    .option("--seconds <n>", "how long the run emits", intArg("--seconds"), 30)
    .option("--event-bytes <n>", "size of each event", intArg("--event-bytes"), 2048)
    .option("--client-procs <n>", "processes the clients are spread over", intArg("--client-procs"), 5)
    .option("--no-stalled", "leave out the client that stops reading")
    .option("--control", "also run (in a fresh process) with the stream's bounds turned off, to show the growth they prevent")
    .addOption(new Option("--unbounded", "run only the control: bounds off").hideHelp())
    .option("--json", "print one JSON object")
    .action(async (o: { clients: number; rate: number; seconds: number; eventBytes: number; clientProcs: number; stalled: boolean; control?: boolean; unbounded?: boolean; json?: boolean }) => {
      const cli = process.argv[1] as string;
      const clientCommand = [process.execPath, cli, "bench", "api-clients"];
      const base = { clients: o.clients, ratePerS: o.rate, seconds: o.seconds, eventBytes: o.eventBytes, clientProcesses: o.clientProcs, stalled: o.stalled, clientCommand, log: (l: string) => console.error(l) };
      if (o.unbounded) {
        console.log(JSON.stringify(await runApiLoad({ ...base, stream: { highWaterBytes: Infinity, hardLimitBytes: Infinity, stallTimeoutMs: Infinity } })));
        return;
      }
      const bounded = await runApiLoad(base);
      let control: LoadResult | undefined;
      if (o.control) {
        // A fresh process, so its memory figures start from the same place as the bounded run's.
        const { execFileSync } = await import("node:child_process");
        const args = [cli, "bench", "api", "--unbounded", "--clients", String(o.clients), "--rate", String(o.rate), "--seconds", String(o.seconds), "--event-bytes", String(o.eventBytes), "--client-procs", String(o.clientProcs), ...(o.stalled ? [] : ["--no-stalled"])];
        const out = execFileSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 16 * 1024 * 1024 });
        control = JSON.parse(out.trim().split("\n").at(-1) as string) as LoadResult;
      }
      if (o.json) return console.log(JSON.stringify(control ? { ...bounded, control_unbounded: control } : bounded));
      printLoad("bounded stream (as agentrl serve runs it)", bounded);
      if (control) printLoad("control: same load with the bounds turned off", control);
      if (!bounded.p99_ok) process.exitCode = 1;
    });
  bench
    .command("api-fuzz")
    .description("fuzz pass: thousands of malformed requests against a runner on loopback; it must answer every one without a 5xx and stay up")
    .option("--count <n>", "requests", intArg("--count"), 5000)
    .option("--seed <n>", "PRNG seed (replays the same requests)", intArg("--seed", 0), 1)
    .option("--json", "print one JSON object")
    .action(async (o: { count: number; seed: number; json?: boolean }) => {
      const fs = await import("node:fs");
      const os = await import("node:os");
      const path = await import("node:path");
      const home = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-fuzz-"));
      const prev = process.env.AGENTRL_TOKEN;
      delete process.env.AGENTRL_TOKEN;
      const runner = await startRunner({ home, port: 0 });
      try {
        const r = await runApiFuzz({ url: runner.url, token: runner.token.token, count: o.count, seed: o.seed });
        if (o.json) console.log(JSON.stringify(r));
        else {
          console.log(`${r.requests} malformed requests in ${r.wall_s} s (${r.requests_per_s}/s): ${JSON.stringify(r.by_category)}`);
          console.log(`answers: ${JSON.stringify(r.by_status)}; 5xx ${r.server_errors}, unanswered ${r.no_answer}, timeouts ${r.timeouts}; runner healthy after: ${r.healthy_after}`);
        }
        if (r.server_errors || r.no_answer || r.timeouts || !r.healthy_after) process.exitCode = 1;
      } finally {
        await runner.close();
        fs.rmSync(home, { recursive: true, force: true });
        if (prev !== undefined) process.env.AGENTRL_TOKEN = prev;
      }
    });
  bench
    .command("api-clients", { hidden: true })
    .description("(internal) client side of `bench api`")
    .addOption(new Option("--url <url>").makeOptionMandatory())
    .addOption(new Option("--run <id>").makeOptionMandatory())
    .addOption(new Option("--clients <n>").argParser(Number).default(50))
    .addOption(new Option("--stalled"))
    .action(async (o: { url: string; run: string; clients: number; stalled?: boolean }) => {
      await runLoadClients({ url: o.url, token: process.env.AGENTRL_TOKEN ?? "", runId: o.run, clients: o.clients, stalled: Boolean(o.stalled) });
    });
}
