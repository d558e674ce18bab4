// The extension's run-event hub over a real WebSocket server speaking the runner's stream frames:
// however many parts of the extension follow a run, one connection per run; events that do not
// match the event schema are skipped with a message instead of reaching code that reads them.
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import type { RunEvent, StreamFrame } from "@agentrl/protocol";
import { RunEventHub } from "./event-subscription";
import { RunnerClient } from "../../remote-runner/src/api/client";

let server: WebSocketServer | null = null;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function streamServer(): Promise<{ client: RunnerClient; sockets: { ws: WebSocket; runId: string | null }[] }> {
  const sockets: { ws: WebSocket; runId: string | null }[] = [];
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  server = wss;
  wss.on("connection", (ws, req) => sockets.push({ ws, runId: new URL(req.url ?? "/", "http://x").searchParams.get("runId") }));
  await new Promise<void>((r) => wss.once("listening", () => r()));
  return { client: new RunnerClient(`http://127.0.0.1:${(wss.address() as AddressInfo).port}`, "t"), sockets };
}

const send = (ws: WebSocket, frame: StreamFrame | { kind: "event"; event: unknown }): void => ws.send(JSON.stringify(frame));

describe("RunEventHub", () => {
  it("opens one WebSocket per run for all its followers and closes it when the last one leaves", async () => {
    const { client, sockets } = await streamServer();
    const hub = new RunEventHub();
    const a: RunEvent[] = [];
    const b: RunEvent[] = [];
    const logs: string[] = [];
    const subA = hub.follow(client, "run-1", (e) => a.push(e), (l) => logs.push(l));
    const subB = hub.follow(client, "run-1", (e) => b.push(e));
    const subC = hub.follow(client, "run-2", () => {});
    expect(hub.openSubscriptions).toBe(2);
    await expect.poll(() => sockets.length).toBe(2);
    expect(sockets.map((s) => s.runId).sort()).toEqual(["run-1", "run-2"]);
    const run1 = sockets.find((s) => s.runId === "run-1")!.ws;
    send(run1, { kind: "event", event: { seq: 1, runId: "run-1", ts: 1, type: "run.status", data: { status: "running" } } });
    // A drifted event (a field of the wrong type) never reaches a listener.
    send(run1, { kind: "event", event: { seq: 2, runId: "run-1", ts: 2, type: "run.metrics", data: { step: "one", values: {} } } });
    send(run1, { kind: "event", event: { seq: 3, runId: "run-1", ts: 3, type: "log", data: { level: "info", message: "hi" } } });
    await expect.poll(() => b.length).toBe(2);
    expect(a.map((e) => e.seq)).toEqual([1, 3]);
    expect(b.map((e) => e.seq)).toEqual([1, 3]);
    expect(logs.join("\n")).toMatch(/skipped event 2 \(run\.metrics\) that does not match/);
    subA.dispose();
    expect(hub.openSubscriptions).toBe(2);
    subB.dispose();
    expect(hub.openSubscriptions).toBe(1);
    await expect.poll(() => run1.readyState).toBe(run1.CLOSED);
    subC.dispose();
    expect(hub.openSubscriptions).toBe(0);
  });
});
