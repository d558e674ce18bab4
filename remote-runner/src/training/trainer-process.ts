import { execFile, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import readline from "node:readline";
import { trainerEnv, trainerPython } from "./python-env.js";

export interface TrainerServerOptions {
  model?: string;
  seed?: number;
  resume?: string;
  outputDir: string;
  logFile: string;
  /** Trainer options (estimator, lr, eps_low, kl_beta, ...), passed as JSON. */
  options?: Record<string, unknown>;
  loraRank?: number;
  maxTokens?: number;
  /** How long model loading may take. */
  startTimeoutMs?: number;
  /** vLLM generates: the trainer pushes its adapter there after every update and serves no rollouts. */
  sync?: { url: string; apiKey?: string; servedName: string };
  /** Trainer processes on this machine (torchrun + FSDP2); > 1 or a multi-machine group runs under torchrun. */
  nproc?: number;
  /** Machines the trainer spans, and HOST:PORT of the rendezvous (on this machine, node 0). */
  nnodes?: number;
  rdzvEndpoint?: string;
  /** Told the command each other machine runs (nnodes > 1). */
  log?: (line: string) => void;
}

/**
 * How the trainer is launched: one process, or torchrun with one process per device. Several machines
 * use torchrun's static rendezvous with this machine as node 0, so that global rank 0 (the one that
 * serves HTTP) is here; node K runs the same command with --node-rank K.
 */
export function trainerLaunch(o: TrainerServerOptions, serve: string[]): { args: string[]; otherNode: (k: number) => string[] } {
  const nproc = o.nproc ?? 1;
  const nnodes = o.nnodes ?? 1;
  if (nproc <= 1 && nnodes <= 1) return { args: serve, otherNode: () => [] };
  const torchrun = ["-m", "torch.distributed.run", "--nproc-per-node", String(nproc)];
  if (nnodes <= 1) return { args: [...torchrun, "--standalone", ...serve], otherNode: () => [] };
  const endpoint = o.rdzvEndpoint;
  if (!endpoint) throw new Error(`a trainer over ${nnodes} machines needs the rendezvous address. Fix: pass --rdzv-endpoint HOST:PORT (train.rdzvEndpoint), an address of this machine every machine reaches`);
  const cut = endpoint.lastIndexOf(":");
  const multi = (k: number): string[] => [...torchrun, "--nnodes", String(nnodes), "--node-rank", String(k), "--master-addr", endpoint.slice(0, cut), "--master-port", endpoint.slice(cut + 1)];
  // The other machines follow rank 0's commands and never serve HTTP or read stdin.
  const follower = serve.filter((a) => a !== "--exit-with-stdin");
  return { args: [...multi(0), ...serve], otherNode: (k) => [...multi(k), ...follower] };
}

/**
 * Refuses a number of trainer processes this machine cannot run (more than its GPUs, or without a
 * GPU its CPU cores), with the trainer's own message (the count and the fix), before anything starts.
 */
export async function checkTrainerProcesses(p: { nproc?: number; nnodes?: number; rdzvEndpoint?: string }): Promise<void> {
  if ((p.nnodes ?? 1) > 1 && !p.rdzvEndpoint) {
    throw new Error(`a trainer over ${p.nnodes} machines needs the rendezvous address. Fix: pass --rdzv-endpoint HOST:PORT (train.rdzvEndpoint), an address of this machine every machine reaches`);
  }
  if (p.rdzvEndpoint && (p.nnodes ?? 1) <= 1) throw new Error("--rdzv-endpoint is for a trainer over several machines. Fix: add --nnodes N (N > 1), or leave the endpoint out");
  const nproc = p.nproc ?? 1;
  if (nproc <= 1) return;
  await new Promise<void>((resolve, reject) => {
    execFile(trainerPython(), ["-m", "agentrl_trainer", "check-nproc", String(nproc)], { env: trainerEnv() }, (err, _stdout, stderr) => {
      if (!err) resolve();
      else reject(new Error(stderr.trim().split("\n").pop() || `the trainer could not check --nproc ${nproc}: ${err.message}`));
    });
  });
}

/** What the trainer's push of its adapter to the policy server (vLLM) gave: `error` when it failed. */
export interface SyncResult {
  url: string;
  adapter: string;
  step: number;
  status?: number;
  error?: string;
}

export interface TrainStepResult {
  step: number;
  /** Present when the trainer pushes to a separate policy server. */
  sync?: SyncResult;
  [metric: string]: unknown;
}

/**
 * One JSON POST to the trainer with node:http, not fetch: fetch (undici) gives up on any answer whose
 * headers take more than 300 s, and a training step on a loaded CPU takes longer than that; here the
 * only limit is `timeoutMs`.
 */
function postJson(url: string, body: unknown, token: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", "content-length": data.length, authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * The Python policy server + trainer (`python -m agentrl_trainer serve`) as a child process: one
 * copy of the weights serves rollouts and takes updates, so the new adapter is live for the next
 * step's generation without a sync.
 */
export class TrainerServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** The bearer token the trainer takes (fresh per start): the rollouts' policy sends it too. */
    readonly token: string,
    readonly model: string,
    readonly startStep: number,
    private readonly logFile: string,
  ) {}

  static async start(o: TrainerServerOptions): Promise<TrainerServer> {
    const serve = ["-m", "agentrl_trainer", "serve", "--host", "127.0.0.1", "--port", "0", "--output-dir", o.outputDir, "--exit-with-stdin"];
    if (o.model) serve.push("--model", o.model);
    if (o.seed !== undefined) serve.push("--seed", String(o.seed));
    if (o.resume) serve.push("--resume", o.resume);
    if (o.loraRank !== undefined) serve.push("--lora-rank", String(o.loraRank));
    if (o.maxTokens !== undefined) serve.push("--max-tokens", String(o.maxTokens));
    if (o.options && Object.keys(o.options).length) serve.push("--options", JSON.stringify(o.options));
    if (o.sync) serve.push("--no-generate", "--sync-url", o.sync.url, "--served-model-name", o.sync.servedName);
    const { args, otherNode } = trainerLaunch(o, serve);
    for (let k = 1; k < (o.nnodes ?? 1); k++) {
      const quoted = otherNode(k).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
      o.log?.(`trainer node ${k}: on that machine (same model path, same shared checkpoint folder) run: PYTHONPATH=${trainerEnv().PYTHONPATH ?? ""} ${trainerPython()} ${quoted.join(" ")}`);
    }
    const env = trainerEnv();
    // The policy server's key travels in the environment, never on a command line others can read.
    if (o.sync?.apiKey) env.AGENTRL_SYNC_API_KEY = o.sync.apiKey;
    const log = fs.openSync(o.logFile, "a");
    // The trainer serves only the holder of this token (it writes weights and files on request).
    const token = crypto.randomBytes(32).toString("base64url");
    // stdin stays open and unused: the trainer exits when it closes, so it never outlives this process.
    const child = spawn(trainerPython(), args, { stdio: ["pipe", "pipe", log], env: { ...env, AGENTRL_TRAINER_TOKEN: token } });
    fs.closeSync(log);
    const ready = await new Promise<{ url: string; model: string; step: number }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the trainer did not start within ${(o.startTimeoutMs ?? 600_000) / 1000} s; its log is ${o.logFile}`));
      }, o.startTimeoutMs ?? 600_000);
      const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on("line", (line) => {
        if (!line.startsWith("READY ")) return;
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(6)) as { url: string; model: string; step: number });
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        const tail = fs.existsSync(o.logFile) ? fs.readFileSync(o.logFile, "utf8").trim().split("\n").slice(-8).join("\n") : "";
        reject(new Error(`the trainer exited (code ${code}) before it was ready. Its log (${o.logFile}) ends with:\n${tail}`));
      });
    });
    return new TrainerServer(child, ready.url, token, ready.model, ready.step, o.logFile);
  }

  private async post<T>(route: string, body: unknown, timeoutMs = 3_600_000): Promise<T> {
    let res: { status: number; text: string };
    try {
      res = await postJson(`${this.url}${route}`, body, this.token, timeoutMs);
    } catch (err) {
      throw new Error(`the trainer did not answer ${route} (${(err as Error).message}); its log is ${this.logFile}`, { cause: err });
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`trainer ${route} failed (${res.status}): ${res.text.slice(0, 500)}`);
    return JSON.parse(res.text) as T;
  }

  trainStep(trajectories: unknown[], step: number): Promise<TrainStepResult> {
    return this.post<TrainStepResult>("/v1/train/step", { trajectories, step });
  }

  /** Pushes the current adapter to the --sync-url server (step 0, or after it restarted). */
  sync(): Promise<SyncResult> {
    return this.post<SyncResult>("/v1/sync", {});
  }

  /** The whole weights as a model folder (full fine-tuning: what a restarted vLLM loads). */
  exportWeights(dir: string): Promise<{ dir: string; step: number }> {
    return this.post("/v1/export", { dir });
  }

  checkpoint(dir?: string): Promise<{ dir: string; step: number }> {
    return this.post("/v1/checkpoints", dir ? { dir } : {});
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
