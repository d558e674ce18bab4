/**
 * `agentrl bench gui`: desktop ready time from a built image, and one action + screenshot, beside
 * what a user would otherwise write: `docker exec xdotool …` then `docker exec` a screenshot script.
 */
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { connectDocker } from "../remote-runner/src/docker/engine.js";
import { ensureGuiImage } from "../remote-runner/src/envs/kinds/gui/image.js";
import { Desktop } from "../remote-runner/src/envs/kinds/gui/desktop.js";
import { readFilesDir } from "../remote-runner/src/envs/kinds/gui/session.js";
import { DockerSandboxProvider } from "../remote-runner/src/sandbox/docker-provider.js";
import { SandboxPool } from "../remote-runner/src/sandbox/pool.js";
import type { SandboxSpec } from "../remote-runner/src/sandbox/types.js";
import { ratio, summarize, timeEach, type Summary } from "./stats.js";

const run = promisify(execFile);

export interface GuiBenchResult {
  desktop_ready_ms: Summary;
  desktop_ready_cold_ms: Summary;
  app_ready_ms: Summary;
  action_screenshot_ms: Summary;
  baseline_exec_action_screenshot_ms: Summary;
  ratios: { action_screenshot_vs_docker_exec: number };
  /**
   * With `variant: "apps"`: per application (Chromium, LibreOffice Calc), a fresh container's desktop
   * ready (Xvfb, window manager, session bus, daemon), launch until its window shows, and one action +
   * screenshot with it on screen, without and with its AT-SPI accessibility tree.
   */
  apps?: Record<string, { desktop_ready_ms: Summary; app_ready_ms: Summary; action_screenshot_ms: Summary; action_screenshot_a11y_ms: Summary }>;
  /** The machine's 1-minute load average before and after the run (the figures depend on it). */
  load_average: { before: number; after: number };
}

/** The applications of the `apps` image measured one after the other, each in a fresh desktop. */
const APPS: { name: string; command: string[]; window: string }[] = [
  { name: "chromium", command: ["chromium", "about:blank"], window: "Chromium" },
  { name: "libreoffice-calc", command: ["libreoffice", "--calc", "--norestore", "--nologo"], window: "LibreOffice Calc" },
];

async function benchApps(provider: DockerSandboxProvider, spec: SandboxSpec, screen: { width: number; height: number }, n: number, log: (l: string) => void): Promise<NonNullable<GuiBenchResult["apps"]>> {
  const out: NonNullable<GuiBenchResult["apps"]> = {};
  for (const app of APPS) {
    log(`${app.name}: launch until its window shows, then action + screenshot with it on screen`);
    const desktopReady: number[] = [];
    const ready: number[] = [];
    let actions: number[] = [];
    let withTree: number[] = [];
    for (let i = 0; i < Math.min(n, 3); i++) {
      const sb = await provider.create(spec);
      try {
        const desktop = new Desktop(sb, screen, { accessibilityTree: false });
        const t = performance.now();
        await desktop.start();
        desktopReady.push(performance.now() - t);
        const t0 = performance.now();
        const r = await desktop.launch(app.command, { waitWindow: app.window, timeoutS: 60 });
        if (!r.ok) throw new Error(`${app.name} did not start: ${r.error}`);
        ready.push(performance.now() - t0);
        if (i === 0) {
          actions = await timeEach(n * 2, async (k) => {
            const res = await desktop.act({ action_type: "CLICK", x: 300 + (k % 3) * 40, y: 300 });
            if (res.error || res.screenshot.length < 1000) throw new Error(`action failed: ${res.error}`);
          });
          const treeDesktop = new Desktop(sb, screen, { accessibilityTree: true });
          withTree = await timeEach(n, async (k) => {
            const res = await treeDesktop.act({ action_type: "MOVE_TO", x: 300 + (k % 3) * 40, y: 300 });
            if (res.error || !res.a11y.some((t) => t.app !== "at-spi")) throw new Error(`no accessibility tree: ${res.error ?? JSON.stringify(res.a11y).slice(0, 200)}`);
          });
        }
      } finally {
        await sb.destroy();
      }
    }
    out[app.name] = { desktop_ready_ms: summarize(desktopReady), app_ready_ms: summarize(ready), action_screenshot_ms: summarize(actions), action_screenshot_a11y_ms: summarize(withTree) };
  }
  return out;
}

const GRAB = "import io,sys\nfrom PIL import ImageGrab\nb=io.BytesIO()\nImageGrab.grab(xdisplay=':0').save(b,'PNG',compress_level=1)\nsys.stdout.buffer.write(b.getvalue())";

export async function runGuiBench(opts: { samples?: number; root: string; log?: (l: string) => void; variant?: "desktop" | "apps" }): Promise<GuiBenchResult> {
  const log = opts.log ?? (() => {});
  const n = opts.samples ?? 10;
  const loadBefore = os.loadavg()[0] as number;
  const image = await ensureGuiImage({ progress: log, variant: opts.variant });
  const provider = await DockerSandboxProvider.connect();
  const { endpoint } = await connectDocker();
  const files = readFilesDir(path.join(opts.root, "examples/gui-form/files"));
  // Browsers and office suites run many threads: the apps image gets more pids and memory.
  const spec: SandboxSpec = { image, limits: opts.variant === "apps" ? { memoryBytes: 2048 * 2 ** 20, pids: 1024 } : { memoryBytes: 1024 * 2 ** 20 }, labels: { "agentrl.bench": "gui" } };
  const screen = { width: 1024, height: 768 };

  log("desktop ready, cold container (create + Xvfb + window manager + daemon)");
  const cold = await timeEach(Math.min(n, 5), async () => {
    const sb = await provider.create(spec);
    await new Desktop(sb, screen).start();
    await sb.destroy();
  });

  log("desktop ready from the warm pool");
  const pool = new SandboxPool(provider, { warm: 1 });
  const warm: number[] = [];
  const app: number[] = [];
  for (let i = 0; i < n; i++) {
    await pool.prewarm(spec, 1);
    const t0 = performance.now();
    const sb = await pool.acquire(spec);
    await new Desktop(sb, screen).start();
    warm.push(performance.now() - t0);
    await pool.release(sb);
  }

  log("application ready (files + launch until its window shows)");
  const sb = await pool.acquire(spec);
  const desktop = new Desktop(sb, screen);
  await sb.writeDir("/home/agent", files);
  await desktop.start();
  const t1 = performance.now();
  const launched = await desktop.launch(["python3", "apps/form.py"], { waitWindow: "Registration" });
  if (!launched.ok) throw new Error(`the form app did not start: ${launched.error}`);
  app.push(performance.now() - t1);

  log("one action + screenshot: desktop daemon vs docker exec xdotool + docker exec screenshot");
  const points = [
    [287, 86],
    [287, 123],
    [287, 160],
  ] as const;
  const ours = await timeEach(n * 3, async (i) => {
    const [x, y] = points[i % 3] as readonly [number, number];
    const r = await desktop.act({ action_type: "CLICK", x, y });
    if (r.error || r.screenshot.length < 1000) throw new Error(`action failed: ${r.error}`);
  });
  const dockerCli = (...args: string[]) => run("docker", ["-H", endpoint.host, ...args], { encoding: "buffer", maxBuffer: 64 << 20 });
  const baseline = await timeEach(n * 3, async (i) => {
    const [x, y] = points[i % 3] as readonly [number, number];
    await dockerCli("exec", "-e", "DISPLAY=:0", sb.id, "xdotool", "mousemove", String(x), String(y), "click", "1");
    const { stdout } = await dockerCli("exec", "-e", "DISPLAY=:0", sb.id, "python3", "-c", GRAB);
    if (stdout.length < 1000) throw new Error("baseline screenshot failed");
  });
  await pool.release(sb);
  await pool.close();
  const result: GuiBenchResult = {
    desktop_ready_ms: summarize(warm),
    desktop_ready_cold_ms: summarize(cold),
    app_ready_ms: summarize(app),
    action_screenshot_ms: summarize(ours),
    baseline_exec_action_screenshot_ms: summarize(baseline),
    ratios: { action_screenshot_vs_docker_exec: 0 },
    load_average: { before: loadBefore, after: 0 },
  };
  result.ratios.action_screenshot_vs_docker_exec = ratio(result.baseline_exec_action_screenshot_ms.p50, result.action_screenshot_ms.p50);
  if (opts.variant === "apps") result.apps = await benchApps(provider, spec, screen, n, log);
  result.load_average.after = os.loadavg()[0] as number;
  return result;
}
