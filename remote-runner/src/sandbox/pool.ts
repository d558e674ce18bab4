import { createHash } from "node:crypto";
import { DockerSandbox } from "./docker-sandbox.js";
import type { Sandbox, SandboxProvider, SandboxSpec } from "./types.js";

export interface SandboxPoolOptions {
  /** Started containers kept ready per spec once that spec has been asked for (or warmed). */
  warm?: number;
  /** How many containers the pool starts at once while refilling, so a burst doesn't swamp the daemon. */
  refillConcurrency?: number;
}

interface Slot {
  spec: SandboxSpec;
  idle: Sandbox[];
  target: number;
  creating: number;
}

/** JSON with object keys sorted at every level, so equal specs give equal keys. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function keyOf(spec: SandboxSpec): string {
  return createHash("sha256").update(stableJson(spec)).digest("hex");
}

/**
 * Keeps started sandboxes ready per spec so an episode does not wait for a container to start.
 * A released sandbox is destroyed, never reused: every episode starts from a clean filesystem.
 */
export class SandboxPool {
  private readonly slots = new Map<string, Slot>();
  private readonly warm: number;
  private readonly refillConcurrency: number;
  private closed = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    readonly provider: SandboxProvider,
    opts: SandboxPoolOptions = {},
  ) {
    this.warm = opts.warm ?? 2;
    this.refillConcurrency = opts.refillConcurrency ?? 2;
  }

  private slot(spec: SandboxSpec): Slot {
    const key = keyOf(spec);
    let s = this.slots.get(key);
    if (!s) {
      s = { spec, idle: [], target: this.warm, creating: 0 };
      this.slots.set(key, s);
    }
    return s;
  }

  /** Starts `count` sandboxes of this spec ahead of time and resolves once they are ready. */
  async prewarm(spec: SandboxSpec, count: number): Promise<void> {
    const s = this.slot(spec);
    s.target = Math.max(s.target, count);
    const need = count - s.idle.length - s.creating;
    await Promise.all(Array.from({ length: Math.max(0, need) }, () => this.createInto(s)));
  }

  private createInto(s: Slot): Promise<void> {
    s.creating++;
    const p = this.provider
      .create(s.spec)
      .then(async (sb) => {
        if (this.closed) await sb.destroy();
        else s.idle.push(sb);
      })
      .catch(() => {
        // A failed warm start is not an error of any episode: acquire() creates directly and reports it.
      })
      .finally(() => {
        s.creating--;
        this.inflight.delete(p);
      });
    this.inflight.add(p);
    return p;
  }

  private refill(s: Slot): void {
    if (this.closed) return;
    while (s.idle.length + s.creating < s.target && s.creating < this.refillConcurrency) void this.createInto(s);
  }

  /** A started sandbox for this spec: a warm one when available, else a new one. */
  async acquire(spec: SandboxSpec): Promise<Sandbox> {
    const s = this.slot(spec);
    while (s.idle.length > 0) {
      const sb = s.idle.shift() as Sandbox;
      if (sb instanceof DockerSandbox && !sb.usable) {
        void sb.destroy().catch(() => {});
        continue;
      }
      this.refill(s);
      return sb;
    }
    this.refill(s);
    return this.provider.create(spec);
  }

  /** Ends an episode's sandbox. */
  async release(sandbox: Sandbox): Promise<void> {
    await sandbox.destroy();
  }

  idleCount(spec?: SandboxSpec): number {
    if (spec) return this.slot(spec).idle.length;
    let n = 0;
    for (const s of this.slots.values()) n += s.idle.length;
    return n;
  }

  /** Destroys every idle sandbox and stops refilling. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.inflight]);
    const all = [...this.slots.values()].flatMap((s) => s.idle.splice(0));
    await Promise.all(all.map((sb) => sb.destroy().catch(() => {})));
  }
}
