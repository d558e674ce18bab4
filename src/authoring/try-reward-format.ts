import path from "node:path";
import type { TryRewardReport } from "@agentrl/protocol";

function fmt(x: number | null): string {
  return x === null ? "n/a" : x.toFixed(3);
}

/** One line for the end of the reward's line: how it scored on the trajectories it was tried on. */
export function trySummary(report: TryRewardReport): string {
  const n = report.rows.length;
  const errors = report.errors ? ` · ${report.errors} error${report.errors === 1 ? "" : "s"}` : "";
  return `${report.reward} on ${n} trajector${n === 1 ? "y" : "ies"} of ${report.runId}: mean ${fmt(report.mean)} · min ${fmt(report.min)} · max ${fmt(report.max)}${errors}`;
}

/** The per-trajectory table for the hover: task, sample, value, components, error. */
export function tryTable(report: TryRewardReport): string {
  const esc = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = ["| task | sample | value | components | error |", "| --- | --- | --- | --- | --- |"];
  for (const r of report.rows.slice(0, 50)) {
    const comps = Object.entries(r.components).map(([k, v]) => `${k}=${fmt(v)}`).join(", ");
    const err = r.errors.map((e) => `${e.kind}: ${e.message}${e.location ? ` (${e.location.file}:${e.location.line})` : ""}`).join("; ");
    lines.push(`| ${esc(r.taskId)} | ${r.sampleIndex} | ${fmt(r.value)} | ${esc(comps)} | ${esc(err)} |`);
  }
  if (report.rows.length > 50) lines.push(`\n… and ${report.rows.length - 50} more`);
  return lines.join("\n");
}

export interface ErrorSite {
  /** Absolute path of the source file that threw. */
  file: string;
  /** 0-based line and column, as editors count. */
  line: number;
  column: number;
  message: string;
  trajectories: number;
}

/** Errors that carry a source location, one site per file:line:message with how many trajectories hit it. */
export function errorSites(report: TryRewardReport, envDir: string): ErrorSite[] {
  const sites = new Map<string, ErrorSite>();
  for (const row of report.rows) {
    for (const e of row.errors) {
      if (!e.location) continue;
      const file = path.resolve(envDir, e.location.file);
      const key = `${file}:${e.location.line}:${e.message}`;
      const site = sites.get(key) ?? { file, line: e.location.line - 1, column: e.location.column - 1, message: e.message, trajectories: 0 };
      site.trajectories++;
      sites.set(key, site);
    }
  }
  return [...sites.values()];
}
