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

(window as unknown as { inspectorBench: unknown }).inspectorBench = { renderRun, renderLongTrajectory };
