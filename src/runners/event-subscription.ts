import WebSocket from "ws";
import { isRunEvent, type RunEvent, type StreamFrame } from "@agentrl/protocol";
import type { RunnerClient } from "./runner-client";

/**
 * Follows the runner's event stream over WebSocket. Remembers the last sequence id and, when the
 * connection drops (runner restart, slow-consumer close), reconnects with `?after=` so no event is
 * lost or repeated.
 */
export class EventSubscription {
  private ws: WebSocket | null = null;
  private lastSeq: number;
  private closed = false;
  private retryMs = 500;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: RunnerClient,
    private readonly onEvent: (e: RunEvent) => void,
    private readonly opts: { runId?: string; after?: number; log?: (line: string) => void } = {},
  ) {
    this.lastSeq = opts.after ?? 0;
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.client.eventsUrl(this.lastSeq, this.opts.runId), { headers: { authorization: this.client.authHeader } });
    this.ws = ws;
    ws.on("open", () => {
      this.retryMs = 500;
    });
    ws.on("message", (data) => {
      let frame: StreamFrame;
      try {
        frame = JSON.parse(String(data)) as StreamFrame;
      } catch {
        return;
      }
      if (frame.kind !== "event" || frame.event.seq <= this.lastSeq) return;
      this.lastSeq = frame.event.seq;
      // The runner is another program (maybe another version): an event is checked against the schema before anything reads it.
      const event: unknown = frame.event;
      if (isRunEvent(event)) this.onEvent(event);
      else this.opts.log?.(`event stream: skipped event ${frame.event.seq} (${String(frame.event.type)}) that does not match this extension's event schema; update the extension or the runner so their versions match`);
    });
    ws.on("error", (err) => this.opts.log?.(`event stream: ${err.message}`));
    ws.on("close", () => {
      if (this.closed) return;
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    });
  }

  dispose(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
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
