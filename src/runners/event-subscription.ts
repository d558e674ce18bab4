import type { RunEvent } from "@agentrl/protocol";
import type { RunnerClient } from "../../remote-runner/src/api/client";

/**
 * Follows the runner's event stream for as long as it is wanted, through the runner client's
 * resumable `follow` (reconnects with `?after=` after a runner restart or a slow-consumer close,
 * so no event is lost or repeated; events that do not match this extension's schema are skipped
 * and logged).
 */
export class EventSubscription {
  private readonly abort = new AbortController();

  constructor(
    client: RunnerClient,
    onEvent: (e: RunEvent) => void,
    opts: { runId?: string; after?: number; log?: (line: string) => void } = {},
  ) {
    const log = opts.log;
    client
      .follow({
        runId: opts.runId,
        after: opts.after,
        signal: this.abort.signal,
        maxReconnects: Infinity,
        onEvent: (e) => {
          onEvent(e);
        },
        onReconnect: (after, why) => log?.(`event stream: ${why}; resuming after event ${after}`),
        onSkipped: (seq, type) => log?.(`event stream: skipped event ${seq} (${type}) that does not match this extension's event schema; update the extension or the runner so their versions match`),
      })
      .catch((err: unknown) => log?.(`event stream: ${err instanceof Error ? err.message : String(err)}`));
  }

  dispose(): void {
    this.abort.abort();
  }
}

type Listener = (e: RunEvent) => void;

/**
 * One WebSocket per (runner, run) however many parts of the extension follow that run (the run's
 * progress notification, the status bar, the inspector): each `follow` adds a listener to the run's
 * shared subscription, which closes when its last listener leaves.
 */
export class RunEventHub {
  private readonly subs = new Map<string, { sub: EventSubscription; listeners: Set<Listener> }>();

  follow(client: RunnerClient, runId: string, listener: Listener, log?: (line: string) => void): { dispose(): void } {
    const key = `${client.baseUrl} ${runId}`;
    let entry = this.subs.get(key);
    if (!entry) {
      const listeners = new Set<Listener>();
      const sub = new EventSubscription(
        client,
        (e) => {
          for (const l of [...listeners]) l(e);
        },
        { runId, log },
      );
      entry = { sub, listeners };
      this.subs.set(key, entry);
    }
    const { sub, listeners } = entry;
    listeners.add(listener);
    return {
      dispose: () => {
        listeners.delete(listener);
        if (listeners.size === 0 && this.subs.get(key)?.sub === sub) {
          this.subs.delete(key);
          sub.dispose();
        }
      },
    };
  }

  /** How many WebSockets are open (one per followed run). */
  get openSubscriptions(): number {
    return this.subs.size;
  }
}

/** The extension's one hub. */
export const runEvents = new RunEventHub();
