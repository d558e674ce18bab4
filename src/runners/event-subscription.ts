import WebSocket from "ws";
import type { RunEvent, StreamFrame } from "@agentrl/protocol";
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
      if (frame.kind === "event" && frame.event.seq > this.lastSeq) {
        this.lastSeq = frame.event.seq;
        this.onEvent(frame.event);
      }
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
