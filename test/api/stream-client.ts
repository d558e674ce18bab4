// A test client for /v1/events that records every frame, so tests can wait on what arrived.
import net from "node:net";
import { WebSocket } from "ws";
import type { RunEvent, StreamFrame } from "@agentrl/protocol";

export class StreamClient {
  readonly ws: WebSocket;
  readonly events: RunEvent[] = [];
  readonly frames: StreamFrame[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  constructor(url: string, token: string) {
    this.ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    this.ws.on("message", (raw) => {
      const frame = JSON.parse(raw.toString()) as StreamFrame;
      this.frames.push(frame);
      if (frame.kind === "event") this.events.push(frame.event);
      this.wake();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on("error", () => this.wake());
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
  }

  /** Resolves once `pred` holds (checked on every frame and on close); the test timeout bounds it. */
  until(pred: (c: StreamClient) => boolean): Promise<void> {
    if (pred(this)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (pred(this)) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  isLive(): boolean {
    return this.frames.some((f) => f.kind === "live");
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.ws.close();
    return this.until((c) => c.closed !== null);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * A WebSocket client on a bare TCP socket that can stop reading for real (the `ws` client resumes
 * its socket by itself): handshake, then frames are parsed only while `reading`.
 */
export class RawStreamClient {
  readonly events: RunEvent[] = [];
  closeFrame: { code: number; reason: string } | null = null;
  ended = false;
  private buf = Buffer.alloc(0);
  private upgraded = false;
  private waiters: (() => void)[] = [];
  private readonly socket: net.Socket;

  constructor(url: string, token: string) {
    const u = new URL(url);
    this.socket = net.connect(Number(u.port), u.hostname);
    const key = Buffer.from("0123456789abcdef").toString("base64");
    this.socket.write(
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    this.socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
      this.wake();
    });
    this.socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on("error", () => undefined);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  isLive(): boolean {
    return this.live;
  }

  lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  until(pred: (c: RawStreamClient) => boolean): Promise<void> {
    if (pred(this)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (pred(this)) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private live = false;

  private parse(): void {
    if (!this.upgraded) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString();
      if (!head.startsWith("HTTP/1.1 101")) throw new Error(`handshake failed: ${head.split("\r\n")[0]}`);
      this.upgraded = true;
      this.buf = this.buf.subarray(end + 4);
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = (this.buf[0] as number) & 0x0f;
      let len = (this.buf[1] as number) & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) return;
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (opcode === 1) {
        const frame = JSON.parse(payload.toString()) as StreamFrame;
        if (frame.kind === "event") this.events.push(frame.event);
        if (frame.kind === "live") this.live = true;
      } else if (opcode === 8) {
        this.closeFrame = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() };
      }
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
