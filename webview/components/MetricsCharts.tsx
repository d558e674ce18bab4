import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import type { MetricPoint, RunSummary } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { metricLabel, yRange } from "./chart-scale";

const PALETTE = ["--vscode-charts-blue", "--vscode-charts-orange", "--vscode-charts-green", "--vscode-charts-purple", "--vscode-charts-red", "--vscode-charts-yellow"];

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/**
 * Groups metric names into charts: reward components together first, then each training diagnostic
 * (loss, KL, entropy, grad norm, clip fraction) on a chart of its own, as their scales differ, then
 * throughput and step times (units of their own), length, tools, errors and groups.
 */
export function chartGroups(keys: string[]): { title: string; keys: string[] }[] {
  const rules: [string, RegExp, boolean][] = [
    ["reward (mean and spread per component)", /reward|^component|correct|format|efficiency/i, false],
    // Sampler vs trainer: how far the trainer's recomputed logprobs are from those sampled, per step.
    ["sampler vs trainer logprob drift", /drift/i, false],
    ["training", /kl|entropy|loss|grad|clip|lr/i, true],
    ["throughput", /per_?s$|throughput/i, false],
    ["time per step (s)", /(^|_)(s|ms|seconds)$|latency/i, false],
    ["length and turns", /length|turns|tokens/i, false],
    ["tool calls", /tool/i, false],
    ["errors", /error|fail|retr|skipped/i, false],
    ["groups (zero variance = no learning signal)", /zero_var|groups/i, false],
  ];
  const used = new Set<string>();
  const out: { title: string; keys: string[] }[] = [];
  for (const [title, re, split] of rules) {
    const ks = keys.filter((k) => !used.has(k) && re.test(k));
    ks.forEach((k) => used.add(k));
    if (split) out.push(...ks.map((k) => ({ title: `${title}: ${k}`, keys: [k] })));
    else if (ks.length) out.push({ title, keys: ks });
  }
  const rest = keys.filter((k) => !used.has(k));
  if (rest.length) out.push({ title: "other", keys: rest });
  return out;
}

function Chart({ title, keys, points }: { title: string; keys: string[]; points: MetricPoint[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const xs = points.map((p) => p.step);
    const data: uPlot.AlignedData = [xs, ...keys.map((k) => points.map((p) => p.values[k] ?? null))];
    const fg = themeColor("--vscode-foreground", "#ccc");
    const grid = themeColor("--vscode-editorWidget-border", "#444");
    let plot: uPlot | null = null;
    try {
      plot = new uPlot(
        {
          width: Math.max(260, el.clientWidth || 360),
          height: 170,
          legend: { show: true },
          // x is the run step, not a timestamp; y fits the data (rewards in [0, 1] on [0, 1]).
          scales: { x: { time: false }, y: { range: () => yRange(data.slice(1)) } },
          cursor: { drag: { x: true, y: false } },
          axes: [
            // Steps are whole numbers: no ticks at 1.1, 1.2.
            { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] },
            { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 50 },
          ],
          series: [{ label: "step" }, ...keys.map((k, i) => ({ label: metricLabel(k), stroke: themeColor(PALETTE[i % PALETTE.length]!, "#3794ff"), width: 1.5, points: { show: points.length < 40 } }))],
        },
        data,
        el,
      );
    } catch {
      el.textContent = "chart unavailable (no canvas)";
    }
    return () => plot?.destroy();
  }, [keys, points]);
  return (
    <div className="chart" data-testid="chart">
      <div className="chart-title">{title}</div>
      <div ref={ref} />
    </div>
  );
}

/** The run's totals at a glance: per-component means, length, tools, errors, throughput, zero-variance groups. */
function SummaryTiles({ s }: { s: RunSummary }) {
  const tiles: [string, string][] = [
    ["mean reward", s.meanReward === null ? "—" : s.meanReward.toFixed(3)],
    ...Object.entries(s.componentMeans).map(([k, v]): [string, string] => [k, v.toFixed(3)]),
    ["turns / episode", s.meanTurns.toFixed(2)],
    ["tool calls / episode", s.meanToolCalls.toFixed(2)],
    ["errors (agent/env/infra/reward)", `${s.errors} · ${s.agentErrors}/${s.envErrors ?? 0}/${s.infraErrors}/${s.rewardErrors}`],
    ["zero-variance groups", `${s.zeroVarianceGroups} / ${s.groups}`],
    ["episodes / s", s.episodesPerS.toFixed(2)],
    ["steps / s", s.stepsPerS.toFixed(2)],
  ];
  return (
    <div className="tiles" data-testid="summary-tiles">
      {tiles.map(([k, v]) => (
        <div className="tile" key={k}>
          <div className="tile-label">{k}</div>
          <div className="tile-value">{v}</div>
        </div>
      ))}
    </div>
  );
}

/** Adds a point in step order; a step seen again (a training run resumed from an earlier checkpoint redoes it) is replaced. */
export function withPoint(points: MetricPoint[], p: MetricPoint): MetricPoint[] {
  const out = points.filter((q) => q.step !== p.step);
  let i = out.length;
  while (i > 0 && out[i - 1]!.step > p.step) i--;
  out.splice(i, 0, p);
  return out;
}

/** The run's metrics over steps as uPlot line charts, kept current by the run's `run.metrics` events. */
export function MetricsCharts({ runId, reloadKey, summary }: { runId: string; reloadKey: number; summary?: RunSummary | null }) {
  const bridge = useBridge();
  const [points, setPoints] = useState<MetricPoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setPoints(null);
    bridge
      .request("metrics", { runId })
      // Points pushed while the series was in flight are kept (the later one of a step wins).
      .then((m) => setPoints((cur) => (cur ?? []).reduce(withPoint, [...m.items].sort((a, b) => a.step - b.step))))
      .catch((e: Error) => setError(e.message));
  }, [bridge, runId, reloadKey]);
  // A live run's `run.metrics` events are its new points: added as they come, nothing refetched.
  useEffect(
    () =>
      bridge.onPush((m) => {
        if (m.kind !== "runEvent" || m.event.runId !== runId || m.event.type !== "run.metrics") return;
        const point: MetricPoint = { runId, step: m.event.data.step, ts: m.event.ts, values: m.event.data.values };
        setPoints((cur) => withPoint(cur ?? [], point));
      }),
    [bridge, runId],
  );
  if (error) return <div className="error-banner">{error}</div>;
  if (!points) return <div className="muted">loading metrics…</div>;
  const tiles = summary ? <SummaryTiles s={summary} /> : null;
  if (!points.length)
    return (
      <>
        {tiles}
        <div className="empty">No metrics yet: rollout runs report metrics per step as trajectories finish; training runs add KL, entropy and loss.</div>
      </>
    );
  const keys = [...new Set(points.flatMap((p) => Object.keys(p.values)))].sort();
  return (
    <>
      {tiles}
      <div className="charts">
        {chartGroups(keys).map((g) => (
          <Chart key={g.title} title={g.title} keys={g.keys} points={points} />
        ))}
      </div>
    </>
  );
}
