import fs from "node:fs";
import path from "node:path";
import type { TrainParams } from "@agentrl/protocol";
import { TrainerServer, type TrainerServerOptions, type TrainStepResult } from "./trainer-process.js";
import { VllmServer, vllmBaseModel, vllmPython, type VllmDown } from "./vllm-server.js";

/**
 * Where a training run's rollouts are generated, and how each new policy gets there. `version` is
 * the number of trainer updates in the weights being served: every turn records it.
 */
export interface Generation {
  readonly url: string;
  readonly model: string;
  /** The key rollouts send (the trainer's token, vLLM's --api-key); the store keeps a redacted marker. */
  readonly apiKey: string | undefined;
  readonly version: number;
  /** The engine's process when this runner started it (vLLM). */
  readonly pid?: number;
  /** Before a step: serving the trainer's current policy (a dead vLLM is restarted and re-synced). */
  ready(): Promise<void>;
  /** After an update: the served policy becomes the updated one; throws (naming the engine) when it could not. */
  afterUpdate(metrics: TrainStepResult): Promise<void>;
  /** Null while the engine answers; else what is wrong (checked after a step's rollouts). */
  problem(): Promise<string | null>;
  stop(): Promise<void>;
}

async function serverProblem(s: VllmServer | undefined): Promise<string | null> {
  if (!s) return "vLLM is not started";
  if (s.isDown) return `vLLM at ${s.url} is down`;
  const p = await s.healthProblem();
  return p && `vLLM at ${s.url}: ${p}`;
}

/** The name rollouts ask vLLM for: the LoRA adapter (or, in full fine-tuning, the served weights). */
const POLICY_NAME = "policy";

/** vLLM accepts these LoRA ranks as --max-lora-rank. */
const VLLM_LORA_RANKS = [8, 16, 32, 64, 128, 256, 320, 512];

/** The built-in engine: the trainer process serves rollouts from the very weights it trains. */
class BuiltinGeneration implements Generation {
  version: number;
  constructor(private readonly trainer: TrainerServer) {
    this.version = trainer.startStep;
  }
  get url(): string {
    return this.trainer.url;
  }
  get model(): string {
    return this.trainer.model;
  }
  get apiKey(): string {
    return this.trainer.token;
  }
  async ready(): Promise<void> {}
  async problem(): Promise<string | null> {
    return null;
  }
  async afterUpdate(m: TrainStepResult): Promise<void> {
    this.version = m.step;
  }
  async stop(): Promise<void> {}
}

interface VllmContext {
  params: TrainParams;
  outDir: string;
  onDown: VllmDown;
}

/**
 * vLLM with the policy as a LoRA adapter: the trainer (generation off) saves the adapter after every
 * update and POSTs it to vLLM's /v1/load_lora_adapter with load_inplace (about 30 ms); at step 0 and
 * after a vLLM restart the runner asks the trainer to push again (POST /v1/sync).
 */
class VllmLoraGeneration implements Generation {
  readonly model = POLICY_NAME;
  version = -1;
  constructor(
    private server: VllmServer,
    private readonly trainer: TrainerServer,
    private readonly restart: () => Promise<VllmServer>,
  ) {}
  get url(): string {
    return this.server.url;
  }
  get apiKey(): string | undefined {
    return this.server.apiKey;
  }
  get pid(): number | undefined {
    return this.server.pid;
  }
  async ready(): Promise<void> {
    if (this.server.isDown) {
      await this.server.stop();
      this.server = await this.restart();
      this.version = -1;
    }
    if (this.version < 0) {
      const s = await this.trainer.sync();
      if (s.error) throw new Error(`vLLM did not take the policy adapter (${s.error}); its log is in the run's folder (vllm.log)`);
      this.version = s.step;
    }
  }
  async afterUpdate(m: TrainStepResult): Promise<void> {
    if (m.sync?.error) {
      this.version = -1; // pushed again by ready() once vLLM is back
      throw new Error(`the update of step ${m.step} was not pushed to vLLM: ${m.sync.error}`);
    }
    this.version = m.step;
  }
  problem(): Promise<string | null> {
    return serverProblem(this.server);
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
}

/**
 * vLLM on full weights (`loraRank: 0`): after every update the trainer writes the weights as a model
 * folder and vLLM restarts on it. A restart costs the model load (seconds for small models) where
 * vLLM's in-place weight update needs its development-mode RPC routes and the NCCL/gloo weight
 * transfer of a co-located trainer; the restart is the one path that works the same on CPU and GPU
 * and cannot serve a half-updated model.
 */
class VllmFullGeneration implements Generation {
  readonly model = POLICY_NAME;
  private current: { server: VllmServer; weights: string; step: number } | null = null;
  /** The trainer's step: the weights vLLM must serve. */
  private target: number;
  constructor(
    private readonly trainer: TrainerServer,
    private readonly ctx: VllmContext,
    private readonly base: string,
  ) {
    this.target = trainer.startStep;
  }
  get url(): string {
    return this.need().server.url;
  }
  get apiKey(): string | undefined {
    return this.need().server.apiKey;
  }
  get version(): number {
    return this.need().step;
  }
  get pid(): number | undefined {
    return this.current?.server.pid;
  }
  private need(): { server: VllmServer; weights: string; step: number } {
    if (!this.current) throw new Error("vLLM is not started");
    return this.current;
  }
  /** Starts vLLM on the trainer's weights of `step` (the base folder itself before any update). */
  private async serve(step: number): Promise<void> {
    const weights = step > 0 ? (await this.trainer.exportWeights(path.join(this.ctx.outDir, "weights", `step-${step}`))).dir : this.base;
    const old = this.current;
    this.current = null;
    await old?.server.stop();
    if (old && old.weights !== this.base && old.weights !== weights) fs.rmSync(old.weights, { recursive: true, force: true });
    const server = await VllmServer.start({ model: weights, servedName: POLICY_NAME, logFile: path.join(this.ctx.outDir, "vllm.log") });
    server.watchHealth(this.ctx.onDown);
    this.current = { server, weights, step };
  }
  async ready(): Promise<void> {
    if (!this.current || this.current.server.isDown || this.current.step !== this.target) await this.serve(this.target);
  }
  async afterUpdate(m: TrainStepResult): Promise<void> {
    this.target = m.step;
    await this.serve(m.step);
  }
  problem(): Promise<string | null> {
    return serverProblem(this.current?.server);
  }
  async stop(): Promise<void> {
    await this.current?.server.stop();
  }
}

/**
 * What a run's engine needs, checked before anything starts (CLI and API), so that a missing vLLM
 * install is named at once. Returns the base model folder vLLM serves (engine "vllm").
 */
export function checkGeneration(params: TrainParams): string | undefined {
  if ((params.engine ?? "builtin") === "builtin") {
    if (params.vllmUrl) throw new Error('a vLLM URL was given but the engine is "builtin". Fix: add --engine vllm (train.engine: "vllm"), or leave the URL out');
    return undefined;
  }
  if ((params.loraRank ?? 16) === 0 && params.vllmUrl) {
    throw new Error("full fine-tuning (--lora-rank 0) with --vllm-url: the runner syncs whole weights by restarting vLLM on them, which it can only do for a vLLM it started. Fix: leave out --vllm-url, or train a LoRA adapter (--lora-rank 16)");
  }
  const base = vllmBaseModel(params.model);
  if (!params.vllmUrl) vllmPython();
  return base;
}

/**
 * Starts the trainer and the generation engine the run's parameters name, in the order each needs:
 * vLLM before a LoRA trainer (which pushes to it), a full-weights trainer before vLLM (which loads
 * its export). The returned generation is not yet `ready()`.
 */
export async function openGeneration(
  params: TrainParams,
  trainerOptions: TrainerServerOptions,
  onDown: VllmDown,
): Promise<{ trainer: TrainerServer; generation: Generation }> {
  if ((params.engine ?? "builtin") === "builtin") {
    const trainer = await TrainerServer.start(trainerOptions);
    return { trainer, generation: new BuiltinGeneration(trainer) };
  }
  const ctx: VllmContext = { params, outDir: trainerOptions.outputDir, onDown };
  const lora = (params.loraRank ?? 16) > 0;
  const base = checkGeneration(params) as string;
  // vLLM's logprobs come from other kernels than the trainer's: the ratio's denominator is the
  // trainer's own recompute, and the sampled logprobs weigh the tokens by truncated importance
  // sampling, min(p_trainer / p_vllm, 2) as verl does (the user's options win).
  const options: TrainerServerOptions = { ...trainerOptions, options: { old_logprobs: "recompute", tis_cap: 2, ...trainerOptions.options } };
  if (!lora) {
    const trainer = await TrainerServer.start(options);
    return { trainer, generation: new VllmFullGeneration(trainer, ctx, base) };
  }
  const rank = params.loraRank ?? 16;
  const maxLoraRank = VLLM_LORA_RANKS.find((r) => r >= rank) ?? rank;
  // A restarted vLLM keeps the port and key: the trainer pushes to the URL it was started with.
  let first: VllmServer | null = null;
  const launch = async (): Promise<VllmServer> => {
    const s = params.vllmUrl
      ? await VllmServer.connect(params.vllmUrl)
      : await VllmServer.start({ model: base, servedName: POLICY_NAME, maxLoraRank, logFile: path.join(ctx.outDir, "vllm.log"), port: first?.port, apiKey: first?.apiKey });
    s.watchHealth(onDown);
    return s;
  };
  const server = await launch();
  first = server;
  try {
    const trainer = await TrainerServer.start({ ...options, sync: { url: server.url, apiKey: server.apiKey, servedName: POLICY_NAME } });
    return { trainer, generation: new VllmLoraGeneration(server, trainer, launch) };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
