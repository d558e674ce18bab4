import type { BlobRef, Message, Observation, PolicyInfo, Task, Trajectory, TrajectoryError, Turn } from "@agentrl/protocol";
import { countToolCalls, trajectoryMessages } from "@agentrl/protocol";
import { isBundleFunction } from "../envs/description.js";
import { EnvCodeError, EnvHostReplaced, type EpisodeHost, type EpisodeOpening } from "../envs/host.js";
import type { LoadedEnvironment } from "../envs/load.js";
import { PolicyError, type Policy } from "../policy/types.js";
import { scoreEpisode } from "../rewards/score.js";
import { turnRewards, type TurnScores } from "../rewards/turn-rewards.js";
import type { RewardWorkerPool } from "../rewards/worker-pool.js";
import { finishEpisodeWithKind } from "../envs/kinds/finish.js";
import { kindHooksFor } from "../envs/kinds/registry.js";
import { SandboxError, type Sandbox, type SandboxSpec } from "../sandbox/types.js";
import type { Store } from "../store/store.js";
import { EpisodeSandbox, InfraFailure } from "./episode-sandbox.js";
import { EpisodeKilled, untilKilled, type LiveEpisodes } from "./live-episodes.js";
import { Toolset } from "./toolset.js";

/** Observation text kept inline; the rest goes to a blob (the model sees the head). */
const INLINE_OBSERVATION_BYTES = 16 * 1024;

export interface SandboxSource {
  acquire(spec: SandboxSpec): Promise<Sandbox>;
  release(sandbox: Sandbox): Promise<void>;
}

export interface EpisodeRuntime {
  env: LoadedEnvironment;
  policy: Policy;
  store: Store;
  rewardPool: RewardWorkerPool;
  sandboxes: SandboxSource;
  sandboxSpec: SandboxSpec;
  maxTurns: number;
  maxInfraRetries: number;
  /**
   * The policy version being served (training runs), read when a turn's request is sent and recorded
   * on the turn: with asynchronous rollouts it moves on while an episode runs.
   */
  policyVersion?: () => number | undefined;
  /** Aborted when the run is cancelled. */
  signal: AbortSignal;
  /** The run's in-flight episodes: what each waits on, stall flags, kill from outside. */
  live?: LiveEpisodes;
}

export interface EpisodeSpec {
  runId: string;
  trajectoryId: string;
  groupId: string;
  task: Task;
  taskIndex: number;
  sampleIndex: number;
}

export class EpisodeCancelled extends Error {}

/** The environment could not set the task up before the first turn (its kind, its own setup, task files). */
class EnvSetupError extends Error {}

/** The opening messages: what the env's `system` and `prompt` gave (run in its host process), else the task's own. */
function openingMessages(env: LoadedEnvironment, opening: EpisodeOpening, task: Task): Message[] {
  const system = typeof env.def.system === "string" ? env.def.system : opening.system;
  let msgs: Message[];
  if (opening.prompt !== undefined) {
    const p = opening.prompt;
    msgs = typeof p === "string" ? [{ role: "user", content: p }] : p;
  } else if (task.messages) msgs = task.messages;
  else msgs = [{ role: "user", content: task.prompt ?? "" }];
  if (system && msgs[0]?.role !== "system") msgs = [{ role: "system", content: system }, ...msgs];
  return msgs;
}

/** Adds what the environment shows at the start (a first screen) to the last opening user message. */
function withOpeningObservation(prompt: Message[], text: string | undefined, images: BlobRef[] | undefined): Message[] {
  const i = prompt.map((m) => m.role).lastIndexOf("user");
  if (i < 0) return prompt;
  const m = prompt[i] as Message;
  const updated: Message = { ...m, content: text ? `${m.content}\n\n${text}` : m.content, ...(images?.length ? { images: [...(m.images ?? []), ...images] } : {}) };
  return [...prompt.slice(0, i), updated, ...prompt.slice(i + 1)];
}

/** A stored image as a data URL, for policies that take images inline (OpenAI `image_url`). */
function imageResolver(store: Store): (ref: BlobRef) => string | undefined {
  return (ref) => {
    const blob = store.getBlob(ref.sha256);
    return blob ? `data:${blob.mime};base64,${blob.bytes.toString("base64")}` : undefined;
  };
}

function inlineObservation(store: Store, o: Observation): Observation {
  if (Buffer.byteLength(o.content) <= INLINE_OBSERVATION_BYTES) return o;
  const full = Buffer.from(o.content);
  const blob = store.putBlob(full, "text/plain; charset=utf-8");
  const head = full.subarray(0, INLINE_OBSERVATION_BYTES).toString("utf8");
  return { ...o, content: `${head}\n[... ${full.length - INLINE_OBSERVATION_BYTES} more bytes not shown]`, blob };
}

/** The episode's token sequence after its last turn (prompt + sampled ids), when the server gave them. */
function episodeTokens(turns: Turn[]): number[] | undefined {
  const p = turns.at(-1)?.policy;
  return p?.promptTokenIds && p.completionTokenIds ? [...p.promptTokenIds, ...p.completionTokenIds] : undefined;
}

interface AttemptResult {
  trajectory: Trajectory;
}

async function attempt(spec: EpisodeSpec, rt: EpisodeRuntime, attemptNo: number, infraErrors: string[]): Promise<AttemptResult> {
  const { env, store } = rt;
  const info = env.info;
  const startedAt = Date.now();
  const t0 = performance.now();
  // The environment's kind (envs/kinds/) may add tools, pick the task's image and time limit, set up and score at the end.
  const kind = kindHooksFor(env);
  const deadline = AbortSignal.timeout(kind.episodeTimeoutMs?.(spec.task) ?? info.episodeTimeoutMs);
  const signal = AbortSignal.any([rt.signal, deadline]);
  const resolveImage = imageResolver(store);
  let sandboxSpec = rt.sandboxSpec;
  const sandbox = new EpisodeSandbox(
    () => rt.sandboxes.acquire(sandboxSpec),
    (sb) => rt.sandboxes.release(sb),
    info.stepTimeoutMs,
  );
  store.appendEvent(spec.runId, "trajectory.started", { trajectoryId: spec.trajectoryId, taskId: spec.task.id, groupId: spec.groupId, sampleIndex: spec.sampleIndex, attempt: attemptNo });
  const killed = rt.live?.start({ trajectoryId: spec.trajectoryId, taskId: spec.task.id, sampleIndex: spec.sampleIndex, attempt: attemptNo });
  rt.live?.onKill(spec.trajectoryId, () => sandbox.kill());
  const turns: Turn[] = [];
  let prompt: Message[] = [];
  let stopReason: Trajectory["stopReason"] = "max_turns";
  let status: Trajectory["status"] = "finished";
  let error: TrajectoryError | undefined;
  let finalAnswer: string | null = null;
  let policyMs = 0;
  let toolMs = 0;
  let toolsetSpecs: Trajectory["tools"] = [];
  /** The trajectory as it stands: how the episode ended plus everything recorded on the way. */
  const toTrajectory = (end: Pick<Trajectory, "status" | "stopReason" | "reward" | "error" | "artifacts">): Trajectory => ({
    id: spec.trajectoryId,
    runId: spec.runId,
    taskId: spec.task.id,
    taskIndex: spec.taskIndex,
    groupId: spec.groupId,
    sampleIndex: spec.sampleIndex,
    status: end.status,
    stopReason: end.stopReason,
    task: spec.task as Record<string, unknown>,
    prompt,
    tools: toolsetSpecs,
    turns,
    reward: end.reward,
    advantage: null,
    ...(end.error ? { error: end.error } : {}),
    ...(end.artifacts && Object.keys(end.artifacts).length ? { artifacts: end.artifacts } : {}),
    infraRetries: attemptNo,
    infraErrors,
    provenance: env.provenance,
    sandboxImage: sandboxSpec.image,
    startedAt,
    finishedAt: Date.now(),
    timings: { totalMs: performance.now() - t0, policyMs, sandboxMs: sandbox.sandboxMs, toolMs, rewardMs: end.reward.durationMs, sandboxAcquireMs: sandbox.acquireMs },
  });
  let episodeHost: EpisodeHost | undefined;
  try {
    let toolset: Toolset;
    try {
      // The env's own code (initState, system, prompt, setup, tools) runs in its host process, where the episode's state is kept.
      episodeHost = await env.host.openEpisode(spec.task, info.stepTimeoutMs);
      if (kind.sandboxSpec) sandboxSpec = await kind.sandboxSpec(spec.task, rt.sandboxSpec);
      toolset = new Toolset(env.def, spec.task, { host: env.host, episode: episodeHost }, kind.tools);
      toolsetSpecs = toolset.specs;
      prompt = openingMessages(env, episodeHost.opening, spec.task);
      if (spec.task.files) for (const [p, content] of Object.entries(spec.task.files)) await sandbox.writeFile(p, content);
      const opening = kind.setup ? await kind.setup({ task: spec.task, sandbox }) : undefined;
      if (opening) prompt = withOpeningObservation(prompt, opening.text, opening.images?.map((img) => store.putBlob(Buffer.from(img.data), img.mime)));
      if (isBundleFunction(env.def.setup)) await episodeHost.setup(sandbox, info.episodeTimeoutMs);
    } catch (err) {
      if (err instanceof InfraFailure || err instanceof EnvHostReplaced) throw err;
      if (err instanceof SandboxError) throw new InfraFailure(err.message, { cause: err });
      throw new EnvSetupError(`environment setup failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    for (let turnNo = 0; turnNo < rt.maxTurns; turnNo++) {
      if (rt.signal.aborted) throw new EpisodeCancelled("run cancelled");
      if (deadline.aborted) {
        stopReason = "episode_timeout";
        break;
      }
      const turnStart = Date.now();
      const tt0 = performance.now();
      const policyVersion = rt.policyVersion?.();
      let response;
      rt.live?.phase(spec.trajectoryId, turnNo, "policy");
      try {
        response = await rt.policy.chat({ messages: trajectoryMessages({ prompt, turns }), tools: toolset.specs, taskId: spec.task.id, sampleIndex: spec.sampleIndex, turn: turnNo, signal, resolveImage, prefixTokenIds: episodeTokens(turns) });
      } catch (err) {
        if (rt.signal.aborted) throw new EpisodeCancelled("run cancelled");
        if (killed?.aborted) throw killed.reason;
        if (deadline.aborted) {
          stopReason = "episode_timeout";
          break;
        }
        const pe = err instanceof PolicyError ? err : new PolicyError("protocol", (err as Error)?.message ?? String(err));
        rt.live?.policyFailed(pe.message);
        stopReason = "policy_error";
        status = "agent_error";
        // A request refused after the first turn is the conversation the policy grew (context
        // overflow): the policy's failure. The first turn's prompt is the environment's.
        const policyCaused = pe.kind === "http" && (pe.status === 400 || pe.status === 413) && turnNo > 0;
        error = { kind: "policy", message: `policy ${pe.kind} error: ${pe.message}`, ...(policyCaused ? { policyCaused } : {}) };
        break;
      }
      policyMs += response.info.latencyMs;
      const observations: Observation[] = [];
      const calls = [];
      let done = false;
      for (const raw of response.toolCalls) {
        if (deadline.aborted) break;
        rt.live?.phase(spec.trajectoryId, turnNo, "tool", raw.name);
        // A tool that ignores its signal is not waited for once the episode is killed.
        const ex = await untilKilled(toolset.execute(raw, { sandbox, stepTimeoutMs: info.stepTimeoutMs, turn: turnNo, signal }), killed);
        calls.push(ex.call);
        const images = ex.images?.map((img) => store.putBlob(Buffer.from(img.data), img.mime));
        observations.push(images?.length ? { ...inlineObservation(store, ex.observation), images } : inlineObservation(store, ex.observation));
        toolMs += ex.observation.durationMs;
        if (ex.done) {
          done = true;
          finalAnswer = ex.answer ?? ex.observation.content;
          // A recorded-only call (parallel function calling) lets the rest of the turn be recorded too.
          if (!ex.recordOnly) break;
        }
      }
      // Calls after a stopping tool are not run; keep only those that were, so messages and observations pair up.
      const assistant: Message = { role: "assistant", content: response.content, toolCallSource: response.toolCallSource };
      if (calls.length) assistant.toolCalls = calls;
      const policyInfo: PolicyInfo = response.info;
      turns.push({ index: turnNo, startedAt: turnStart, durationMs: performance.now() - tt0, assistant, policy: policyInfo, observations, ...(policyVersion === undefined ? {} : { policyVersion }) });
      store.appendEvent(spec.runId, "trajectory.turn", {
        trajectoryId: spec.trajectoryId,
        turn: turnNo,
        toolCalls: calls.map((c) => c.name),
        observationErrors: observations.filter((o) => o.error).map((o) => `${o.tool}: ${o.error}`),
        durationMs: performance.now() - tt0,
      });
      if (sandbox.infraError) throw sandbox.infraError;
      if (done) {
        stopReason = "tool_stop";
        break;
      }
      if (response.toolCalls.length === 0 && env.def.stopOnNoToolCalls !== false) {
        stopReason = "final_answer";
        break;
      }
      if (deadline.aborted) {
        stopReason = "episode_timeout";
        break;
      }
    }
    const lastAssistant = [...turns].reverse().find((t) => t.assistant.content.trim() !== "")?.assistant.content ?? "";
    let reward: Trajectory["reward"] = { total: null, components: {}, weights: {}, errors: [], durationMs: 0 };
    let artifacts: Trajectory["artifacts"];
    if (status === "finished") {
      const turnScores: TurnScores = {};
      rt.live?.phase(spec.trajectoryId, turns.length, "reward");
      // Scores the model cannot forge: its processes end before any reward or test runs (a kind
      // that scores a live session, such as a desktop, keeps them: its scorer reads that session).
      if (!kind.scoresLiveSession) await sandbox.sealForScoring();
      reward = await scoreEpisode({
        rewards: env.def.rewards,
        input: {
          task: spec.task,
          prompt,
          turns,
          messages: trajectoryMessages({ prompt, turns }),
          finalAnswer: finalAnswer ?? lastAssistant,
          toolCalls: countToolCalls({ turns }),
          stopReason,
        },
        sandbox,
        pool: rt.rewardPool,
        host: env.host,
        defaultTimeoutMs: info.rewardTimeoutMs,
        turnScores,
      });
      if (sandbox.infraError) throw sandbox.infraError;
      if (kind.finish) {
        const finished = await finishEpisodeWithKind(kind, { task: spec.task, turns, sandbox, labels: rt.sandboxSpec.labels, putBlob: (data, mime) => store.putBlob(data, mime) }, reward, info.kind);
        reward = finished.reward;
        artifacts = finished.artifacts;
      }
      if (Object.keys(turnScores).length) {
        turnRewards(turnScores, turns.length, reward.total, env.def.turnRewardGate).forEach((r, i) => Object.assign(turns[i] as Turn, { reward: r.reward, rewardComponents: r.components }));
      }
    }
    return { trajectory: toTrajectory({ status, stopReason, reward, error, artifacts }) };
  } catch (err) {
    // Killed from outside: whatever the kill broke on the way (the sandbox) is not the episode's failure.
    if (killed?.aborted) throw killed.reason;
    if (err instanceof InfraFailure || err instanceof EpisodeCancelled) throw err;
    // Another episode's tool took the env's process down with this episode's state: not this episode's doing, so it is retried.
    if (err instanceof EnvHostReplaced) throw new InfraFailure(err.message, { cause: err });
    // A sandbox failure outside the episode's own container (a kind scoring in a fresh one) is infrastructure too.
    if (err instanceof SandboxError) throw new InfraFailure(err.message, { cause: err });
    if (err instanceof EnvSetupError || err instanceof EnvCodeError) {
      // The task could not be set up (a setup step, an image), or the env's code ran past a time limit
      // or ended its process: the environment's fault, counted apart, with the turns so far.
      return {
        trajectory: toTrajectory({
          status: "env_error",
          stopReason: "env_error",
          reward: { total: null, components: {}, weights: {}, errors: [], durationMs: 0 },
          error: { kind: "environment", message: err.message },
        }),
      };
    }
    throw err;
  } finally {
    episodeHost?.close();
    rt.live?.end(spec.trajectoryId);
    await sandbox.close();
  }
}

/**
 * Runs one episode (task × sample index) to a trajectory. Infrastructure failures (the sandbox
 * died, the daemon failed) restart the episode in a fresh sandbox up to `maxInfraRetries` times and
 * are recorded apart from agent and policy failures; after that the trajectory is an infra_error.
 */
export async function runEpisode(spec: EpisodeSpec, rt: EpisodeRuntime): Promise<Trajectory> {
  const infraErrors: string[] = [];
  const started = Date.now();
  for (let attemptNo = 0; ; attemptNo++) {
    try {
      return (await attempt(spec, rt, attemptNo, infraErrors)).trajectory;
    } catch (err) {
      if (!(err instanceof InfraFailure) && !(err instanceof EpisodeKilled)) throw err;
      infraErrors.push(err.message);
      rt.store.appendEvent(spec.runId, "log", { level: "warn", message: `trajectory ${spec.trajectoryId}: infrastructure failure (attempt ${attemptNo + 1}): ${err.message}` });
      // A kill ends the episode; a requeue runs it again whatever the retries so far.
      if (err instanceof EpisodeKilled && err.requeue && !rt.signal.aborted) continue;
      const permanent = err instanceof EpisodeKilled || (err.cause instanceof SandboxError && err.cause.code === "image_missing");
      if (permanent || attemptNo >= rt.maxInfraRetries || rt.signal.aborted) {
        if (rt.signal.aborted) throw new EpisodeCancelled("run cancelled");
        return {
          id: spec.trajectoryId,
          runId: spec.runId,
          taskId: spec.task.id,
          taskIndex: spec.taskIndex,
          groupId: spec.groupId,
          sampleIndex: spec.sampleIndex,
          status: "infra_error",
          stopReason: "infra_error",
          task: spec.task as Record<string, unknown>,
          prompt: [],
          tools: [],
          turns: [],
          reward: { total: null, components: {}, weights: {}, errors: [], durationMs: 0 },
          advantage: null,
          error: { kind: "infra", message: `${err.message} (gave up after ${attemptNo + 1} attempt${attemptNo ? "s" : ""})` },
          infraRetries: attemptNo,
          infraErrors,
          provenance: rt.env.provenance,
          sandboxImage: rt.sandboxSpec.image,
          startedAt: started,
          finishedAt: Date.now(),
          timings: { totalMs: Date.now() - started, policyMs: 0, sandboxMs: 0, toolMs: 0, rewardMs: 0, sandboxAcquireMs: 0 },
        };
      }
    }
  }
}

