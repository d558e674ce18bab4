/**
 * What the sandbox hardening costs (read-only root with tmpfs areas and the image's files copied in,
 * fsize/core limits, the PID-1 agent): the same figures from a hardened provider and from one built
 * the way sandboxes were made before, alternated round by round in one run, as ratios with spread.
 */
import { DockerSandboxProvider } from "../remote-runner/src/sandbox/docker-provider.js";
import { SandboxPool } from "../remote-runner/src/sandbox/pool.js";
import type { SandboxSpec } from "../remote-runner/src/sandbox/types.js";
import { summarize, timeEach, type Summary } from "./stats.js";

interface Figures {
  exec_ms: number[];
  warm_acquire_ms: number[];
  cold_start_ms: number[];
}

export interface HardeningCost {
  rounds: number;
  hardened: { exec_ms: Summary; warm_acquire_ms: Summary; cold_start_ms: Summary };
  unhardened: { exec_ms: Summary; warm_acquire_ms: Summary; cold_start_ms: Summary };
  /** hardened p50 ÷ unhardened p50 per round: 1.0 costs nothing, 1.1 is 10 % slower. */
  ratios: Record<"exec" | "warm_acquire" | "cold_start", { p50: number; min: number; max: number }>;
}

async function measure(provider: DockerSandboxProvider, spec: SandboxSpec, samples: number, into: Figures): Promise<void> {
  into.cold_start_ms.push(
    ...(await timeEach(3, async () => {
      const sb = await provider.create(spec);
      await sb.exec({ cmd: "true" });
      await sb.destroy();
    })),
  );
  const pool = new SandboxPool(provider, { warm: 2 });
  try {
    for (let i = 0; i < Math.max(3, samples / 4); i++) {
      await pool.prewarm(spec, 2); // refilled outside the timed part, as between episodes
      const t0 = performance.now();
      const sb = await pool.acquire(spec);
      into.warm_acquire_ms.push(performance.now() - t0);
      if (i === 0) {
        await timeEach(5, () => sb.exec({ cmd: ["echo", "warmup"] }));
        into.exec_ms.push(...(await timeEach(samples, () => sb.exec({ cmd: ["echo", "hi"] }))));
      }
      await pool.release(sb);
    }
  } finally {
    await pool.close();
  }
}

const p50 = (xs: number[]): number => summarize(xs).p50;
const r2 = (x: number): number => Math.round(x * 100) / 100;

export async function runHardeningCost(opts: { image: string; rounds?: number; samples?: number; log?: (l: string) => void }): Promise<HardeningCost> {
  const rounds = opts.rounds ?? 4;
  const samples = opts.samples ?? 40;
  const spec: SandboxSpec = { image: opts.image, labels: { "agentrl.bench": "hardening" } };
  const hardened = await DockerSandboxProvider.connect();
  const unhardened = await DockerSandboxProvider.connect({ unhardened: true });
  const all = { hardened: { exec_ms: [], warm_acquire_ms: [], cold_start_ms: [] } as Figures, unhardened: { exec_ms: [], warm_acquire_ms: [], cold_start_ms: [] } as Figures };
  const perRound: Record<keyof HardeningCost["ratios"], number[]> = { exec: [], warm_acquire: [], cold_start: [] };
  for (let round = 0; round < rounds; round++) {
    opts.log?.(`hardening cost: round ${round + 1}/${rounds}`);
    const h: Figures = { exec_ms: [], warm_acquire_ms: [], cold_start_ms: [] };
    const u: Figures = { exec_ms: [], warm_acquire_ms: [], cold_start_ms: [] };
    // Alternate which goes first, so drift on a shared machine does not favour one side.
    const order: [DockerSandboxProvider, Figures][] = round % 2 === 0 ? [[hardened, h], [unhardened, u]] : [[unhardened, u], [hardened, h]];
    for (const [provider, into] of order) await measure(provider, spec, samples, into);
    perRound.exec.push(p50(h.exec_ms) / p50(u.exec_ms));
    perRound.warm_acquire.push(p50(h.warm_acquire_ms) / p50(u.warm_acquire_ms));
    perRound.cold_start.push(p50(h.cold_start_ms) / p50(u.cold_start_ms));
    for (const k of ["exec_ms", "warm_acquire_ms", "cold_start_ms"] as const) {
      all.hardened[k].push(...h[k]);
      all.unhardened[k].push(...u[k]);
    }
  }
  const spread = (xs: number[]): { p50: number; min: number; max: number } => ({ p50: r2(p50(xs)), min: r2(Math.min(...xs)), max: r2(Math.max(...xs)) });
  const sum = (f: Figures) => ({ exec_ms: summarize(f.exec_ms), warm_acquire_ms: summarize(f.warm_acquire_ms), cold_start_ms: summarize(f.cold_start_ms) });
  return {
    rounds,
    hardened: sum(all.hardened),
    unhardened: sum(all.unhardened),
    ratios: { exec: spread(perRound.exec), warm_acquire: spread(perRound.warm_acquire), cold_start: spread(perRound.cold_start) },
  };
}
