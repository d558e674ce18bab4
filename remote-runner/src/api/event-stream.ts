import type { WebSocket } from "ws";
import { STREAM_CLOSE_SLOW_CONSUMER, type RunEvent, type StreamFrame, type StreamSubscribe } from "@agentrl/protocol";

/** One event as the store keeps it; `seq` is the stream's sequence id (strictly increasing). */
export type StreamEvent = RunEvent;

/** What the stream reads from: the store's durable event log plus its in-process live feed. */
export interface EventSource {
  eventsAfter(seq: number, opts: { runId?: string; limit: number }): StreamEvent[];
  onEvent(listener: (event: StreamEvent) => void): () => void;
}

export interface EventStreamOptions {
  /** Bytes a client may have queued (in `ws` and the socket) before it stops getting live sends. */
  highWaterBytes: number;
  /** Bytes queued past which a client is dropped at once (one huge event can jump past the high water). */
  hardLimitBytes: number;
  /** A client that makes no progress for this long while behind is dropped with a resumable marker. */
  stallTimeoutMs: number;
  /** Events read from the store per catch-up page. */
  pageSize: number;
  /** How long a dropped client gets to take its close frame before the socket is destroyed. */
  closeGraceMs: number;
  /** Interval of the stall check and of keep-alive pings. */
  checkIntervalMs: number;
  /** A client with no `?after=` must send its subscribe message within this time. */
  subscribeTimeoutMs: number;
  /** Most clients at once; each may hold up to `hardLimitBytes`, so this bounds the stream's memory. */
  maxClients: number;
}

export const DEFAULT_STREAM_OPTIONS: EventStreamOptions = {
  highWaterBytes: 1024 * 1024,
  hardLimitBytes: 8 * 1024 * 1024,
  stallTimeoutMs: 10_000,
  pageSize: 500,
  closeGraceMs: 1000,
  checkIntervalMs: 1000,
  subscribeTimeoutMs: 10_000,
  maxClients: 256,
};

/** Close code of a client dropped for not keeping up; the reason is JSON `{"resumeAfter": seq}`. */
export const CLOSE_SLOW_CONSUMER = STREAM_CLOSE_SLOW_CONSUMER;
/** Close code of a client whose subscribe message was invalid. */
export const CLOSE_BAD_SUBSCRIBE = 4400;
/** Close code sent to every client when the server shuts down. */
export const CLOSE_SHUTDOWN = 1001;

export interface StreamStats {
  clients: number;
  live: number;
  catchingUp: number;
  dropped: number;
  maxBufferedBytes: number;
}

interface Subscriber {
  ws: WebSocket;
  runId: string | undefined;
  /** Last seq handed to the socket. */
  cursor: number;
  /** Last seq whose frame the socket has written out. */
  flushed: number;
  mode: "waiting" | "catchup" | "live";
  connectedAt: number;
  lastProgress: number;
  pumping: boolean;
  closing: boolean;
}

/**
 * Fans the store's events out to WebSocket clients. Each client reads from the durable log
 * (`eventsAfter`) until it has caught up, then gets live events; a client that falls behind
 * goes back to paging from the log instead of having events queued in memory for it, and one
 * that makes no progress at all is dropped with close code 4000 and the last seq it was sent,
 * so memory per client never passes `hardLimitBytes` however slow it is.
 */
export class EventStream {
  private readonly subs = new Set<Subscriber>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private dropped = 0;
  private maxBuffered = 0;
  private readonly opts: EventStreamOptions;

  constructor(private readonly source: EventSource, opts: Partial<EventStreamOptions> = {}) {
    this.opts = { ...DEFAULT_STREAM_OPTIONS, ...opts };
    this.unsubscribe = source.onEvent((e) => this.onLive(e));
    this.timer = setInterval(() => this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  /**
   * Takes over an authenticated socket. With `after` given (from `?after=`) the stream starts at
   * once; otherwise the client's first message must be a subscribe `{ "after": seq, "runId"?: id }`.
   */
  attach(ws: WebSocket, start: { after?: number; runId?: string }): void {
    const sub: Subscriber = { ws, runId: start.runId, cursor: 0, flushed: 0, mode: "waiting", connectedAt: Date.now(), lastProgress: Date.now(), pumping: false, closing: false };
    this.subs.add(sub);
    ws.on("close", () => this.subs.delete(sub));
    ws.on("error", () => this.subs.delete(sub));
    ws.on("message", (raw, isBinary) => {
      if (sub.mode !== "waiting") return; // later messages are ignored: the stream is one-way
      const parsed = parseSubscribe(isBinary ? null : raw.toString());
      if (typeof parsed === "string") {
        ws.close(CLOSE_BAD_SUBSCRIBE, parsed.slice(0, 120));
        return;
      }
      if (parsed.runId !== undefined) sub.runId = parsed.runId;
      this.begin(sub, parsed.after);
    });
    if (start.after !== undefined) this.begin(sub, start.after);
  }

  /** False when a new client would pass `maxClients`. */
  hasRoom(): boolean {
    return this.subs.size < this.opts.maxClients;
  }

  stats(): StreamStats {
    let live = 0;
    let catchingUp = 0;
    for (const s of this.subs) {
      if (s.mode === "live") live++;
      else if (s.mode === "catchup") catchingUp++;
    }
    return { clients: this.subs.size, live, catchingUp, dropped: this.dropped, maxBufferedBytes: this.maxBuffered };
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const s of this.subs) {
      s.ws.close(CLOSE_SHUTDOWN, "server shutting down");
      setTimeout(() => s.ws.terminate(), this.opts.closeGraceMs).unref();
    }
    this.subs.clear();
  }

  private begin(sub: Subscriber, after: number): void {
    sub.cursor = after;
    sub.flushed = after;
    sub.mode = "catchup";
    this.sendFrame(sub, { kind: "ready", after }, null);
    this.pump(sub);
  }

  private sendFrame(sub: Subscriber, frame: StreamFrame, seq: number | null, encoded?: Buffer): void {
    const data = encoded ?? Buffer.from(JSON.stringify(frame));
    if (seq !== null) sub.cursor = seq;
    // A Buffer sent as a text frame: one UTF-8 encoding per event, shared by every client.
    sub.ws.send(data, { binary: false }, (err) => {
      if (err) return;
      if (seq !== null && seq > sub.flushed) sub.flushed = seq;
      sub.lastProgress = Date.now();
      // A client that caught up on its queue gets paged again from the durable log.
      if (sub.mode === "catchup" && !sub.pumping && sub.ws.bufferedAmount < this.opts.highWaterBytes / 2) this.pump(sub);
    });
    const buffered = sub.ws.bufferedAmount;
    if (buffered > this.maxBuffered) this.maxBuffered = buffered;
    if (buffered > this.opts.hardLimitBytes) this.drop(sub);
  }

  /** Pages events from the log while the client keeps up; switches it to live once nothing is left. */
  private pump(sub: Subscriber): void {
    if (sub.pumping || sub.closing || sub.mode !== "catchup") return;
    sub.pumping = true;
    try {
      while (sub.ws.readyState === sub.ws.OPEN && !sub.closing) {
        if (sub.ws.bufferedAmount >= this.opts.highWaterBytes) return; // resumed from a send callback
        const page = this.source.eventsAfter(sub.cursor, { runId: sub.runId, limit: this.opts.pageSize });
        for (const e of page) this.sendFrame(sub, { kind: "event", event: e }, e.seq);
        if (page.length < this.opts.pageSize) {
          // The log and the live feed run on this one thread: nothing can slip in between.
          sub.mode = "live";
          this.sendFrame(sub, { kind: "live", seq: sub.cursor }, null);
          return;
        }
      }
    } finally {
      sub.pumping = false;
    }
  }

  private onLive(e: StreamEvent): void {
    let encoded: Buffer | undefined;
    for (const sub of this.subs) {
      if (sub.mode !== "live" || sub.closing) continue;
      if (sub.runId !== undefined && e.runId !== sub.runId) continue;
      if (e.seq <= sub.cursor) continue;
      if (sub.ws.bufferedAmount >= this.opts.highWaterBytes) {
        // Behind: stop queueing in memory; the log holds everything it will need.
        sub.mode = "catchup";
        continue;
      }
      encoded ??= Buffer.from(JSON.stringify({ kind: "event", event: e } satisfies StreamFrame));
      this.sendFrame(sub, { kind: "event", event: e }, e.seq, encoded);
    }
  }

  private check(): void {
    const now = Date.now();
    for (const sub of this.subs) {
      if (sub.closing) continue;
      if (sub.mode === "waiting" && now - sub.connectedAt > this.opts.subscribeTimeoutMs) {
        sub.closing = true;
        sub.ws.close(CLOSE_BAD_SUBSCRIBE, 'no subscribe message; send {"after": SEQ} or connect with ?after=SEQ');
        continue;
      }
      const behind = sub.mode === "catchup" && sub.ws.bufferedAmount >= this.opts.highWaterBytes / 2;
      if (behind && now - sub.lastProgress > this.opts.stallTimeoutMs) {
        this.drop(sub);
        continue;
      }
      if (sub.ws.readyState === sub.ws.OPEN) sub.ws.ping();
    }
  }

  /** Drops a client that is not keeping up, telling it (if it still reads) where to resume. */
  private drop(sub: Subscriber): void {
    if (sub.closing) return;
    sub.closing = true;
    this.dropped += 1;
    this.subs.delete(sub);
    sub.ws.close(CLOSE_SLOW_CONSUMER, JSON.stringify({ resumeAfter: sub.flushed }));
    // A stalled client never reads the close frame; destroying the socket frees its buffers.
    setTimeout(() => sub.ws.terminate(), this.opts.closeGraceMs).unref();
  }
}

function parseSubscribe(text: string | null): StreamSubscribe | string {
  if (text === null) return "subscribe message must be JSON text";
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "subscribe message is not valid JSON; send {\"after\": SEQ}";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "subscribe message must be an object {\"after\": SEQ}";
  const o = v as Record<string, unknown>;
  if (typeof o.after !== "number" || !Number.isInteger(o.after) || o.after < 0) return "after must be a non-negative integer";
  if (o.runId !== undefined && typeof o.runId !== "string") return "runId must be a string";
  return { after: o.after, ...(typeof o.runId === "string" ? { runId: o.runId } : {}) };
}
