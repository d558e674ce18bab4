// Inspector render bench in Debian's chromium (playwright-core): first render of a run with 10,000
// and with 100,000 trajectories (budget 300 ms each) and of a 200-turn trajectory (budget 200 ms),
// each the median of fresh page loads; then a live run at 100 trajectories/s for --live-seconds
// (default 60): the lag from each row's event to a painted list that counts it (budget 1 s at
// the worst) and the data requests made meanwhile (budget 0).
// Usage: node --import tsx bench/inspector-render.ts [--json] [--runs N] [--live-seconds S]
import { execFileSync } from "node:child_process";
import path from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const root = path.resolve(__dirname, "..");
// liveDataRequests: the one trajectory the inspector opens by itself (the first row); none per event.
const BUDGET = { run10k: 300, run100k: 300, turns200: 200, liveMaxLagMs: 1000, liveDataRequests: 1 };

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const runsArg = process.argv.indexOf("--runs");
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
  const liveArg = process.argv.indexOf("--live-seconds");
  const liveSeconds = liveArg > 0 ? Number(process.argv[liveArg + 1]) : 60;
  const out = await build({
    entryPoints: [path.join(root, "bench/inspector/bench-page.tsx")],
    bundle: true,
    write: false,
    outdir: "/bench-out",
    platform: "browser",
    format: "iife",
    minify: true,
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  });
  const js = out.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
  const css = out.outputFiles.find((f) => f.path.endsWith(".css"))?.text ?? "";
  const exe = execFileSync("bash", [path.join(root, "scripts/setup-vscode.sh"), "--print"], { encoding: "utf8" }).match(/^CHROMIUM=(.*)$/m)![1]!;
  const browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"] });
  type Bench = {
    renderRun(n: number): Promise<{ ms: number; rows: number }>;
    renderLongTrajectory(n: number): Promise<{ ms: number; stepToLastMs: number }>;
    liveLag(perS: number, seconds: number): Promise<{ lagsMs: number[]; rows: number; dataRequests: number }>;
  };
  const run10k: number[] = [];
  const run100k: number[] = [];
  let live: { lagsMs: number[]; rows: number; dataRequests: number } | null = null;
  const turns200: number[] = [];
  const stepLast: number[] = [];
  let rows = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.setContent(`<!DOCTYPE html><html><head><style>${css}</style></head><body></body></html>`);
      await page.addScriptTag({ content: js });
      const a = await page.evaluate(() => (window as unknown as { inspectorBench: Bench }).inspectorBench.renderRun(10_000));
      const b = await page.evaluate(() => (window as unknown as { inspectorBench: Bench }).inspectorBench.renderLongTrajectory(200));
      const c = await page.evaluate(() => (window as unknown as { inspectorBench: Bench }).inspectorBench.renderRun(100_000));
      run100k.push(c.ms);
      run10k.push(a.ms);
      rows = a.rows;
      turns200.push(b.ms);
      stepLast.push(b.stepToLastMs);
      await page.close();
    }
    if (liveSeconds > 0) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.setContent(`<!DOCTYPE html><html><head><style>${css}</style></head><body></body></html>`);
      await page.addScriptTag({ content: js });
      live = await page.evaluate((s) => (window as unknown as { inspectorBench: Bench }).inspectorBench.liveLag(100, s), liveSeconds);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const result = {
    bench: "inspector-render",
    browser: exe,
    runs,
    run10kFirstRenderMs: Math.round(median(run10k) * 10) / 10,
    run10kDomRows: rows,
    run100kFirstRenderMs: Math.round(median(run100k) * 10) / 10,
    live: live && {
      trajectoriesPerS: 100,
      seconds: liveSeconds,
      rowsShown: live.rows,
      lagMedianMs: Math.round(median(live.lagsMs)),
      lagP99Ms: Math.round(quantile(live.lagsMs, 0.99)),
      lagMaxMs: Math.round(Math.max(...live.lagsMs)),
      dataRequests: live.dataRequests,
    },
    trajectory200TurnsFirstRenderMs: Math.round(median(turns200) * 10) / 10,
    trajectory200TurnsStepToLastMs: Math.round(median(stepLast) * 10) / 10,
    budgets: BUDGET,
    pass:
      median(run10k) <= BUDGET.run10k &&
      median(run100k) <= BUDGET.run100k &&
      median(turns200) <= BUDGET.turns200 &&
      (!live || (Math.max(...live.lagsMs) <= BUDGET.liveMaxLagMs && live.dataRequests <= BUDGET.liveDataRequests)),
    samples: { run10k: run10k.map((x) => Math.round(x)), run100k: run100k.map((x) => Math.round(x)), turns200: turns200.map((x) => Math.round(x)) },
  };
  if (json) console.log(JSON.stringify(result));
  else {
    console.log(`inspector first render, run of 10,000 trajectories: ${result.run10kFirstRenderMs} ms (budget ${BUDGET.run10k} ms; ${rows} rows in the DOM)`);
    console.log(`inspector first render, run of 100,000 trajectories: ${result.run100kFirstRenderMs} ms (budget ${BUDGET.run100k} ms)`);
    if (result.live) console.log(`live run, 100 trajectories/s for ${result.live.seconds} s: ${result.live.rowsShown} rows shown; lag from event to painted list median ${result.live.lagMedianMs} ms, p99 ${result.live.lagP99Ms} ms, max ${result.live.lagMaxMs} ms (budget ${BUDGET.liveMaxLagMs} ms); ${result.live.dataRequests} data requests (budget ${BUDGET.liveDataRequests}: the first row opened, none per event)`);
    console.log(`inspector first render, 200-turn trajectory:       ${result.trajectory200TurnsFirstRenderMs} ms (budget ${BUDGET.turns200} ms); step to last turn ${result.trajectory200TurnsStepToLastMs} ms`);
    console.log(result.pass ? "PASS" : "FAIL");
  }
  if (!result.pass) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
