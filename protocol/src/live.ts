import { Type, type Static } from "@sinclair/typebox";
import { EpisodeStalledEvent } from "./events.js";

/** One in-flight episode as the runner sees it now: what a stall event names, plus its attempt and flag. */
export const LiveEpisode = Type.Composite([
  Type.Omit(EpisodeStalledEvent, ["thresholdMs"]),
  Type.Object({
    attempt: Type.Integer(),
    stalled: Type.Boolean(),
  }),
]);
export type LiveEpisode = Static<typeof LiveEpisode>;

/** The policy server as the run's episodes see it: when it last answered, what failed, who waits on it. */
export const PolicyHealth = Type.Object({
  state: Type.Union([Type.Literal("ok"), Type.Literal("slow"), Type.Literal("failing"), Type.Literal("idle")]),
  lastAnswerAgoMs: Type.Union([Type.Number(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  waiting: Type.Integer({ minimum: 0 }),
  longestWaitMs: Type.Number(),
});
export type PolicyHealth = Static<typeof PolicyHealth>;

/** `GET /v1/runs/{id}/episodes`: the run's in-flight episodes (empty once it ended) and its policy's health. */
export const LiveEpisodes = Type.Object({
  runId: Type.String(),
  stallAfterMs: Type.Number(),
  episodes: Type.Array(LiveEpisode),
  policy: PolicyHealth,
});
export type LiveEpisodes = Static<typeof LiveEpisodes>;

/** Body of `POST /v1/runs/{id}/episodes/{trajectoryId}/kill`. */
export const KillEpisodeRequest = Type.Object(
  { requeue: Type.Optional(Type.Boolean({ description: "run the episode again from the start (default: end it as an infrastructure failure)" })) },
  { additionalProperties: false },
);
export type KillEpisodeRequest = Static<typeof KillEpisodeRequest>;
