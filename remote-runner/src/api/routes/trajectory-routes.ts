import { EventPage, EventPageQuery, MetricSeries, RunComparison, RunComparisonQuery, TrajectoryPage, TrajectoryPageQuery, TrajectoryResponse } from "@agentrl/protocol";
import { compareRuns } from "../../compare/compare-runs.js";
import type { Store } from "../../store/store.js";
import { ApiError } from "../errors.js";
import { RawBody, type Route } from "../router.js";

function runOr404(store: Store, id: string): void {
  if (!store.getRun(id)) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(id)}. Fix: list runs with GET /v1/runs.`);
}

/** Read access to what runs produced: trajectory pages, single trajectories, blobs, metrics, events, export. */
export function trajectoryRoutes(store: Store): Route[] {
  return [
    {
      method: "GET",
      path: "/v1/runs/{id}/trajectories",
      summary: "Page a run's trajectories with filters (reward range, task, group, error, text in messages)",
      tag: "trajectories",
      auth: true,
      query: TrajectoryPageQuery,
      response: TrajectoryPage,
      errors: [404],
      handler: ({ params, query }): TrajectoryPage => {
        const id = params.id as string;
        runOr404(store, id);
        const q = query as TrajectoryPageQuery;
        return store.queryTrajectories({ ...q, runId: id, limit: q.limit ?? 100 });
      },
    },
    {
      method: "GET",
      path: "/v1/runs/{id}/compare/{other}",
      summary: "Two runs (or two training steps) on the same tasks: mean reward per task side by side and the tasks that flipped",
      tag: "trajectories",
      auth: true,
      query: RunComparisonQuery,
      response: RunComparison,
      errors: [404],
      handler: ({ params, query }): RunComparison => {
        const a = params.id as string;
        const b = params.other as string;
        runOr404(store, a);
        runOr404(store, b);
        return compareRuns({ id: a, rows: store.runRows(a) }, { id: b, rows: store.runRows(b) }, (query as RunComparisonQuery).threshold ?? 0.5);
      },
    },
    {
      method: "GET",
      path: "/v1/trajectories/{id}",
      summary: "One trajectory with every turn",
      tag: "trajectories",
      auth: true,
      response: TrajectoryResponse,
      errors: [404],
      handler: ({ params }) => {
        const t = store.getTrajectory(params.id as string);
        if (!t) throw new ApiError(404, "trajectory_not_found", `No trajectory ${JSON.stringify(params.id)}.`);
        return t;
      },
    },
    {
      method: "GET",
      path: "/v1/blobs/{sha256}",
      summary: "A blob (screenshot, patch) by content hash",
      tag: "trajectories",
      auth: true,
      response: { contentType: "application/octet-stream" },
      errors: [404],
      handler: ({ params }) => {
        const sha = params.sha256 as string;
        if (!/^[0-9a-f]{64}$/.test(sha)) throw new ApiError(400, "invalid_field", "sha256 must be 64 lowercase hex characters.", "path.sha256");
        const blob = store.getBlob(sha);
        if (!blob) throw new ApiError(404, "blob_not_found", `No blob ${sha}.`);
        return new RawBody(blob.bytes, blob.mime, { "Cache-Control": "private, max-age=31536000, immutable" });
      },
    },
    {
      method: "GET",
      path: "/v1/runs/{id}/metrics",
      summary: "A run's metric series, one point per step",
      tag: "runs",
      auth: true,
      response: MetricSeries,
      errors: [404],
      handler: ({ params }): MetricSeries => {
        runOr404(store, params.id as string);
        return { items: store.metricSeries(params.id as string) };
      },
    },
    {
      method: "GET",
      path: "/v1/runs/{id}/events",
      summary: "A page of a run's events after a sequence id (the WebSocket /v1/events streams them live)",
      tag: "runs",
      auth: true,
      query: EventPageQuery,
      response: EventPage,
      errors: [404],
      handler: ({ params, query }): EventPage => {
        runOr404(store, params.id as string);
        const q = query as { after?: number; limit?: number };
        return { items: store.eventsAfter(q.after ?? 0, { runId: params.id as string, limit: q.limit ?? 1000 }) };
      },
    },
    {
      method: "GET",
      path: "/v1/runs/{id}/export",
      summary: "Every trajectory of a run as JSON Lines",
      tag: "runs",
      auth: true,
      response: { contentType: "application/x-ndjson" },
      errors: [404],
      handler: ({ params, res }) => {
        const id = params.id as string;
        runOr404(store, id);
        // Streamed line by line: a run may hold more trajectories than fit one buffer comfortably.
        res.writeHead(200, { "Content-Type": "application/x-ndjson", "Content-Disposition": `attachment; filename="${id}.jsonl"`, "X-Content-Type-Options": "nosniff" });
        for (const t of store.iterateTrajectories(id)) res.write(JSON.stringify(t) + "\n");
        res.end();
        return undefined;
      },
    },
  ];
}

