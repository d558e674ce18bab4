// Runs inside Chromium: mounts the real inspector on an in-memory host and times how long until the
// user sees the result (rows on screen / the first turn), including React commit, layout and a paint.
import "../../media/inspector.css";
import { createRoot } from "react-dom/client";
import { HostBridge } from "../../webview/bridge/host-bridge";
import { memoryHost, syntheticRun } from "../../webview/dev/memory-host";
import { mountInspector } from "../../webview/mount";

/** Resolves once `done()` holds, checked after every animation frame (i.e. after a paint). */
function afterPaintWhen(done: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (done()) requestAnimationFrame(() => resolve(performance.now()));
      else requestAnimationFrame(tick);
    };
    tick();
  });
}

function freshRoot(): HTMLElement {
  document.body.innerHTML = "";
  const el = document.createElement("div");
  el.id = "root";
  el.style.height = "900px";
  document.body.appendChild(el);
  return el;
}

async function renderRun(n: number): Promise<{ ms: number; rows: number }> {
  const data = syntheticRun(n, { group: 8, turns: 4 });
  const host = memoryHost(data);
  const el = freshRoot();
  const t0 = performance.now();
  mountInspector(createRoot(el), new HostBridge(host.transport), { runnerName: "bench", runId: data.run.id, trajectoryId: null, follow: false });
  const t1 = await afterPaintWhen(() => el.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total") === String(n) && el.querySelectorAll(".traj-row .mono").length > 10 && !!el.querySelector('[data-testid="turn"]'));
  return { ms: t1 - t0, rows: el.querySelectorAll(".traj-row").length };
}

async function renderLongTrajectory(turns: number): Promise<{ ms: number; stepToLastMs: number }> {
  const data = syntheticRun(1, { group: 1, turns });
  const host = memoryHost(data);
  const el = freshRoot();
  const t0 = performance.now();
  mountInspector(createRoot(el), new HostBridge(host.transport), { runnerName: "bench", runId: data.run.id, trajectoryId: data.summaries[0]!.id, follow: false });
  const t1 = await afterPaintWhen(() => el.querySelector('[data-testid="turn-position"]')?.textContent === `Turn 1 / ${turns}` && !!el.querySelector('[data-testid="tool-call"]'));
  const slider = el.querySelector<HTMLInputElement>("input.turn-slider")!;
  const s0 = performance.now();
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
  setter.call(slider, String(turns - 1));
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  const s1 = await afterPaintWhen(() => el.querySelector('[data-testid="turn-position"]')?.textContent === `Turn ${turns} / ${turns}`);
  return { ms: t1 - t0, stepToLastMs: s1 - s0 };
}

/**
 * A live run producing `perS` trajectories a second for `seconds`: each finished row is pushed as a
 * `trajectory.finished` event (as the extension forwards the stream); the lag of a row is the time
 * from its push until a painted frame shows the list's total including it. Also counts the data
 * requests the webview made while the run went on.
 */
async function liveLag(perS: number, seconds: number): Promise<{ lagsMs: number[]; rows: number; dataRequests: number }> {
  const n = perS * seconds;
  const data = syntheticRun(n, { group: 8, turns: 4 });
  const rows = data.summaries.splice(0);
  data.run.status = "running";
  const host = memoryHost(data);
  const el = freshRoot();
  mountInspector(createRoot(el), new HostBridge(host.transport), { runnerName: "bench", runId: data.run.id, trajectoryId: null, follow: true });
  const total = (): number => Number(el.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total") ?? "-1");
  await afterPaintWhen(() => total() === 0);
  const before = host.requests.length;
  const pushedAt: number[] = [];
  const lagsMs: number[] = [];
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const frame = (): void => {
      const now = performance.now();
      // Rows due by now at `perS` a second are pushed (timers are clamped; this keeps the rate exact).
      const due = Math.min(n, Math.floor(((now - t0) / 1000) * perS));
      while (pushedAt.length < due) {
        const r = rows[pushedAt.length]!;
        pushedAt.push(performance.now());
        host.emit("trajectory.finished", r);
      }
      const shown = total();
      const t = performance.now();
      while (lagsMs.length < shown && lagsMs.length < pushedAt.length) lagsMs.push(t - pushedAt[lagsMs.length]!);
      if (lagsMs.length >= n) resolve();
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  const dataRequests = host.requests.slice(before).filter((r) => r.method !== "run" && r.method !== "listRuns").length;
  return { lagsMs, rows: total(), dataRequests };
}

(window as unknown as { inspectorBench: unknown }).inspectorBench = { renderRun, renderLongTrajectory, liveLag };
