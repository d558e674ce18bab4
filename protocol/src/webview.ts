import { Type, type Static } from "@sinclair/typebox";
import { EventPage, MetricSeries, RunList, TrajectoryPage, TrajectoryPageQuery } from "./api.js";
import { RunComparison } from "./compare.js";
import { ForkRequest, ForkStarted } from "./fork.js";
import { LiveEpisodes } from "./live.js";
import { RunEvent } from "./events.js";
import { Run } from "./run.js";
import { Trajectory } from "./trajectory.js";

/**
 * The one protocol between the inspector webview and the extension host, over postMessage.
 * The webview sends `WebviewRequest`s; the host answers each with a `HostResponse` carrying the
 * same id, and pushes `HostPush` messages (run events, score comparisons) on its own. Every
 * method's params and result are typed through `WebviewMethods`, so both sides agree at compile time.
 */

/** Methods the webview may call, with their params and result schemas. */
export const WebviewMethods = {
  /** The runs of the runner the inspector is attached to. */
  listRuns: { params: Type.Object({}), result: RunList },
  run: { params: Type.Object({ runId: Type.String() }), result: Run },
  /** One page of trajectory rows (filters run on the runner, so 10,000+ rows never cross at once). */
  trajectoryPage: { params: Type.Object({ runId: Type.String(), query: TrajectoryPageQuery }), result: TrajectoryPage },
  trajectory: { params: Type.Object({ id: Type.String() }), result: Trajectory },
  metrics: { params: Type.Object({ runId: Type.String() }), result: MetricSeries },
  /** The run's in-flight episodes and its policy's health, as the runner sees them now (events keep them current). */
  liveEpisodes: { params: Type.Object({ runId: Type.String() }), result: LiveEpisodes },
  /** Stops one in-flight episode: ended as an infrastructure failure, or run again (`requeue`). */
  killEpisode: { params: Type.Object({ runId: Type.String(), trajectoryId: Type.String(), requeue: Type.Boolean() }), result: LiveEpisodes },
  /** Branches a trajectory at a turn (see ForkRequest); the branch is a run of one episode. */
  forkTrajectory: { params: Type.Object({ trajectoryId: Type.String(), request: ForkRequest }), result: ForkStarted },
  /** Run `a` against run `b` task by task (the runner computes it over every row). */
  compareRuns: { params: Type.Object({ a: Type.String(), b: Type.String(), threshold: Type.Optional(Type.Number()) }), result: RunComparison },
  events: { params: Type.Object({ runId: Type.String(), after: Type.Integer({ minimum: 0 }) }), result: EventPage },
  /** A stored blob (screenshot) as a data: URL the strict CSP allows. */
  blob: { params: Type.Object({ sha256: Type.String() }), result: Type.Object({ dataUrl: Type.String() }) },
  /** Opens the source of a reward by name in the editor, at its `defineReward`/`name:` line. */
  openRewardSource: { params: Type.Object({ reward: Type.String(), envName: Type.Optional(Type.String()) }), result: Type.Object({ opened: Type.Boolean(), file: Type.Optional(Type.String()), line: Type.Optional(Type.Integer()) }) },
  /** Starts (or stops, with runId null) forwarding the run's live events as `runEvent` pushes. */
  follow: { params: Type.Object({ runId: Type.Union([Type.String(), Type.Null()]) }), result: Type.Object({ following: Type.Boolean() }) },
} as const;

export type WebviewMethod = keyof typeof WebviewMethods;
export type WebviewParams<M extends WebviewMethod> = Static<(typeof WebviewMethods)[M]["params"]>;
export type WebviewResult<M extends WebviewMethod> = Static<(typeof WebviewMethods)[M]["result"]>;

export const WebviewRequest = Type.Object({
  kind: Type.Literal("request"),
  id: Type.Integer({ minimum: 1 }),
  method: Type.Union(Object.keys(WebviewMethods).map((m) => Type.Literal(m))),
  params: Type.Unknown(),
});
/** Typed view of a request: `method` and `params` belong together. */
export type WebviewRequest = { [M in WebviewMethod]: { kind: "request"; id: number; method: M; params: WebviewParams<M> } }[WebviewMethod];

export const HostResponse = Type.Union([
  Type.Object({ kind: Type.Literal("response"), id: Type.Integer(), ok: Type.Literal(true), result: Type.Unknown() }),
  Type.Object({ kind: Type.Literal("response"), id: Type.Integer(), ok: Type.Literal(false), error: Type.String() }),
]);
export type HostResponse = Static<typeof HostResponse>;

/** One trajectory's score before and after a reward edit ("Score stored trajectories"). */
export const ScoreChange = Type.Object({
  trajectoryId: Type.String(),
  taskId: Type.String(),
  groupId: Type.String(),
  sampleIndex: Type.Integer(),
  before: Type.Union([Type.Number(), Type.Null()]),
  after: Type.Union([Type.Number(), Type.Null()]),
  advantageBefore: Type.Union([Type.Number(), Type.Null()]),
  advantageAfter: Type.Union([Type.Number(), Type.Null()]),
  componentsAfter: Type.Record(Type.String(), Type.Number()),
  errors: Type.Array(Type.String()),
});
export type ScoreChange = Static<typeof ScoreChange>;

export const ScoreComparison = Type.Object({
  runId: Type.String(),
  reward: Type.String(),
  file: Type.String(),
  scored: Type.Integer(),
  changed: Type.Integer(),
  meanBefore: Type.Union([Type.Number(), Type.Null()]),
  meanAfter: Type.Union([Type.Number(), Type.Null()]),
  /** Sorted by |after − before|, largest first. */
  items: Type.Array(ScoreChange),
});
export type ScoreComparison = Static<typeof ScoreComparison>;

/** What the inspector shows first; sent by the host once the webview says `ready`. */
export const InspectorInit = Type.Object({
  runnerName: Type.String(),
  runId: Type.Union([Type.String(), Type.Null()]),
  trajectoryId: Type.Union([Type.String(), Type.Null()]),
  /** Follow the run live from the start (it is still running). */
  follow: Type.Boolean(),
});
export type InspectorInit = Static<typeof InspectorInit>;

export const HostPush = Type.Union([
  Type.Object({ kind: Type.Literal("init"), init: InspectorInit }),
  Type.Object({ kind: Type.Literal("runEvent"), event: RunEvent }),
  Type.Object({ kind: Type.Literal("scoreComparison"), comparison: ScoreComparison }),
  Type.Object({ kind: Type.Literal("select"), runId: Type.String(), trajectoryId: Type.Union([Type.String(), Type.Null()]) }),
]);
export type HostPush = Static<typeof HostPush>;

/** The webview's one non-request message: sent once its script runs, so the host knows it can push. */
export const WebviewReady = Type.Object({ kind: Type.Literal("ready") });
export type WebviewReady = Static<typeof WebviewReady>;

export type WebviewToHost = WebviewRequest | WebviewReady;
export type HostToWebview = HostResponse | HostPush;
