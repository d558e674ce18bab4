import { CreateRunRequest, ForkRequest, ForkStarted, KillEpisodeRequest, LiveEpisodes, RescoreReport, RescoreRequest, Run, RunList, TryRewardReport, TryRewardRequest } from "@agentrl/protocol";
import type { Store } from "../../store/store.js";
import { ApiError } from "../errors.js";
import type { RunManager } from "../run-manager.js";
import type { Route } from "../router.js";

export function runRoutes(store: Store, runs: RunManager): Route[] {
  const action = (verb: "pause" | "resume" | "cancel", summary: string): Route => ({
    method: "POST",
    path: `/v1/runs/{id}/${verb}`,
    summary,
    tag: "runs",
    auth: true,
    response: Run,
    errors: [404, 409],
    handler: ({ params }) => runs[verb](params.id as string),
  });
  return [
    {
      method: "POST",
      path: "/v1/trajectories/{id}/fork",
      summary: "Branch a trajectory at a turn: its sandbox restored by replaying the recorded tool calls before it, then a typed action and/or a policy; scored with the environment's rewards (a run of one episode whose trajectory names its parent)",
      tag: "trajectories",
      auth: true,
      body: ForkRequest,
      response: ForkStarted,
      errors: [400, 404],
      handler: ({ params, body }) => runs.fork(params.id as string, body as ForkRequest),
    },
    {
      method: "GET",
      path: "/v1/runs/{id}/episodes",
      summary: "The run's in-flight episodes (task, sample, turn, what each waits on, time since progress, stall flag) and its policy's health",
      tag: "runs",
      auth: true,
      response: LiveEpisodes,
      errors: [404],
      handler: ({ params }) => runs.liveEpisodes(params.id as string),
    },
    {
      method: "POST",
      path: "/v1/runs/{id}/episodes/{trajectoryId}/kill",
      summary: "Stop one in-flight episode (a stalled one): ended as an infrastructure failure, or run again from the start with requeue",
      tag: "runs",
      auth: true,
      body: KillEpisodeRequest,
      response: LiveEpisodes,
      errors: [404],
      handler: ({ params, body }) => runs.killEpisode(params.id as string, params.trajectoryId as string, (body as KillEpisodeRequest).requeue ?? false),
    },
    {
      method: "GET",
      path: "/v1/runs",
      summary: "List runs, newest first",
      tag: "runs",
      auth: true,
      response: RunList,
      handler: (): RunList => ({ items: store.listRuns() }),
    },
    {
      method: "POST",
      path: "/v1/runs",
      summary: "Create and start a rollout run on an uploaded environment",
      tag: "runs",
      auth: true,
      body: CreateRunRequest,
      response: Run,
      status: 201,
      errors: [404],
      handler: ({ body }) => runs.create(body as CreateRunRequest),
    },
    {
      method: "GET",
      path: "/v1/runs/{id}",
      summary: "One run with its config, status and summary",
      tag: "runs",
      auth: true,
      response: Run,
      errors: [404],
      handler: ({ params }) => {
        const run = store.getRun(params.id as string);
        if (!run) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(params.id)}. Fix: list runs with GET /v1/runs.`);
        return run;
      },
    },
    action("pause", "Pause a run: episodes in flight finish, no new ones start"),
    action("resume", "Resume a paused run"),
    action("cancel", "Cancel a run: episodes in flight stop, finished trajectories stay"),
    {
      method: "POST",
      path: "/v1/runs/{id}/rescore",
      summary: "Re-run (changed) rewards over an ended run: scores and advantages before and after; `save` stores them",
      tag: "runs",
      auth: true,
      body: RescoreRequest,
      response: RescoreReport,
      errors: [404, 409],
      handler: ({ params, body }) => runs.rescore(params.id as string, body as RescoreRequest),
    },
    {
      method: "POST",
      path: "/v1/runs/{id}/try-reward",
      summary: "Try one reward of an uploaded bundle on an ended run's trajectories (or picked ones): value, components and errors (with source line) per trajectory; nothing is stored",
      tag: "runs",
      auth: true,
      body: TryRewardRequest,
      response: TryRewardReport,
      errors: [400, 404, 409],
      handler: ({ params, body }) => runs.tryReward(params.id as string, body as TryRewardRequest),
    },
  ];
}
