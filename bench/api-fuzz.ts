/**
 * `agentrl bench api-fuzz`: thousands of malformed requests against a runner on loopback (bad
 * JSON, wrong types, huge headers, bad paths, truncated gzip, bad tokens, broken HTTP), checking
 * that every one gets an answer that is not a 5xx and that the runner is still healthy after.
 */
import net from "node:net";
import zlib from "node:zlib";
import { mulberry32 } from "../remote-runner/src/util/random.js";

export interface FuzzResult {
  requests: number;
  by_category: Record<string, number>;
  by_status: Record<string, number>;
  server_errors: number;
  /** Requests the server closed without any answer (only expected for broken HTTP framing). */
  no_answer: number;
  timeouts: number;
  healthy_after: boolean;
  wall_s: number;
  requests_per_s: number;
  examples_of_5xx: string[];
  examples_of_no_answer: string[];
}


interface Case {
  category: string;
  raw: Buffer;
}

function request(method: string, path: string, headers: Record<string, string>, body?: Buffer): Buffer {
  const h = { Host: "127.0.0.1", Connection: "close", ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) };
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`;
  return body ? Buffer.concat([Buffer.from(head, "latin1"), body]) : Buffer.from(head, "latin1");
}

function makeCases(n: number, token: string, seed: number): Case[] {
  const r = mulberry32(seed); // a failing case replays from its seed
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const bytes = (len: number): Buffer => Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
  const auth = { Authorization: `Bearer ${token}` };
  const validRun = JSON.stringify({ env: "a".repeat(64), policy: { spec: "noop" }, group: 2, concurrency: 1 });
  const tar = zlib.gzipSync(Buffer.concat([Buffer.from("env.ts".padEnd(100, "\0")), Buffer.alloc(412), Buffer.alloc(1024)]));
  const values: unknown[] = [null, true, -1, 1e308, "x", "", [], {}, [1, "a"], { a: { b: 1 } }, 3.5, "😀".repeat(50), -0];
  const gens: [string, () => Buffer][] = [
    ["bad_json", () => request("POST", "/v1/runs", { ...auth, "Content-Type": "application/json" }, Buffer.from(validRun.slice(0, Math.floor(r() * validRun.length))))],
    ["bad_json", () => request("POST", "/v1/runs", { ...auth, "Content-Type": "application/json" }, bytes(1 + Math.floor(r() * 300)))],
    ["bad_json", () => request("POST", "/v1/runs", { ...auth, "Content-Type": "application/json" }, Buffer.from("[".repeat(1 + Math.floor(r() * 20000))))],
    ["wrong_types", () => {
      const o = JSON.parse(validRun) as Record<string, unknown>;
      const key = pick([...Object.keys(o), "extra", "__proto__", "constructor"]);
      o[key] = pick(values);
      return request("POST", "/v1/runs", { ...auth, "Content-Type": "application/json" }, Buffer.from(JSON.stringify(o)));
    }],
    ["wrong_types", () => request("POST", pick(["/v1/runs", "/v1/runs/x/pause", "/v1/environments"]), { ...auth, "Content-Type": pick(["application/json", "text/plain", "application/gzip", "multipart/form-data; boundary=x"]) }, Buffer.from(JSON.stringify(pick(values))))],
    ["huge_headers", () => request("GET", "/v1/runs", { ...auth, "X-Big": "a".repeat(8000 + Math.floor(r() * 40000)) })],
    ["huge_headers", () => {
      const h: Record<string, string> = { ...auth };
      for (let i = 0; i < 200 + Math.floor(r() * 800); i++) h[`X-H${i}`] = "v".repeat(20);
      return request("GET", "/v1/health", h);
    }],
    ["bad_paths", () => request(pick(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]), pick(["/v1/runs/%zz", "/v1/runs/%00", "/../../etc/passwd", "/v1/trajectories/" + "%2e%2e%2f".repeat(20), "/v1/blobs/../../store.db", "//v1//runs", "/v1/runs?limit=-5", "/v1/runs/x/trajectories?limit=1e9&offset=-1", "/v1/runs/x/trajectories?minReward=NaN", "/v1/runs/x/trajectories?hasError=maybe&hasError=true", "/v1/events", "*", "/v1/" + "a/".repeat(2000)]), auth)],
    ["bad_paths", () => request("GET", "/" + bytes(1 + Math.floor(r() * 60)).toString("latin1").replace(/[\r\n ]/g, "x"), auth)],
    ["truncated_gzip", () => request("POST", "/v1/environments", { ...auth, "Content-Type": "application/gzip" }, tar.subarray(0, Math.floor(r() * tar.length)))],
    ["truncated_gzip", () => request("POST", "/v1/environments", { ...auth, "Content-Type": "application/gzip" }, Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), bytes(Math.floor(r() * 500))]))],
    ["bad_tokens", () => request("GET", pick(["/v1/runs", "/v1/environments", "/v1/runs/x"]), { Authorization: pick(["", "Bearer", "Bearer ", `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `bearer  ${token} extra`, `Basic ${token}`, `Bearer ${"A".repeat(5000)}`, `Bearer ${bytes(30).toString("latin1").replace(/[\r\n]/g, "")}`]) })],
    ["bad_tokens", () => request("GET", "/v1/events?after=0", { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "x", "Sec-WebSocket-Version": "13", Authorization: `Bearer ${token}z` })],
    ["broken_http", () => Buffer.concat([Buffer.from(pick(["GARBAGE / HTTP/1.1\r\n\r\n", "GET /v1/health HTTP/9.9\r\n\r\n", "GET\r\n\r\n", "POST /v1/runs HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "POST /v1/runs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "GET /v1/health HTTP/1.1\r\nHost: a\r\nHost\r\n\r\n"])), bytes(Math.floor(r() * 50))])],
    ["oversized", () => request("POST", "/v1/runs", { ...auth, "Content-Type": "application/json" }, Buffer.alloc(1024 * 1024 + 1 + Math.floor(r() * 100_000), 0x20))],
    ["ws_garbage", () => request("GET", pick(["/v1/events?after=-1", "/v1/events?after=abc", "/v1/events?after=1.5", "/v1/nope"]), { ...auth, Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13" })],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [category, gen] = gens[i % gens.length] as [string, () => Buffer];
    return { category, raw: gen() };
  });
}

/** Sends raw bytes, reads until the server closes (Connection: close), returns the status code or null. */
function send(port: number, raw: Buffer, timeoutMs: number): Promise<{ status: number | null; timedOut: boolean; head: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const head = got.subarray(0, 200).toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : null, timedOut, head: head.split("\r\n")[0] ?? "" });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on("connect", () => {
      // No half-close: Node's HTTP server drops a request whose client half-closed before the answer.
      // Every request states its length (Connection: close), so the server never waits for more.
      socket.write(raw);
    });
    socket.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // A 101 would keep the socket open; one answer is all we need.
      if (/^HTTP\/1\.1 \d{3}[^\r]*\r\n/.test(got.toString("latin1", 0, 64)) && got.includes("\r\n\r\n") && got.toString("latin1", 9, 12) === "101") finish(false);
    });
    socket.on("error", () => finish(false));
    socket.on("close", () => finish(false));
  });
}

export async function runApiFuzz(opts: { url: string; token: string; count?: number; seed?: number; concurrency?: number; timeoutMs?: number }): Promise<FuzzResult> {
  const u = new URL(opts.url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) throw new Error(`the fuzz pass only targets loopback runners, not ${u.hostname}`);
  const port = Number(u.port);
  const cases = makeCases(opts.count ?? 3000, opts.token, opts.seed ?? 1);
  const result: FuzzResult = { requests: cases.length, by_category: {}, by_status: {}, server_errors: 0, no_answer: 0, timeouts: 0, healthy_after: false, wall_s: 0, requests_per_s: 0, examples_of_5xx: [], examples_of_no_answer: [] };
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const c = cases[next++];
      if (!c) return;
      const res = await send(port, c.raw, opts.timeoutMs ?? 10_000);
      result.by_category[c.category] = (result.by_category[c.category] ?? 0) + 1;
      const key = res.timedOut ? "timeout" : res.status === null ? "no_answer" : String(res.status);
      result.by_status[key] = (result.by_status[key] ?? 0) + 1;
      if (res.timedOut) result.timeouts++;
      else if (res.status === null) {
        result.no_answer++;
        if (result.examples_of_no_answer.length < 8) result.examples_of_no_answer.push(`${c.category}: ${JSON.stringify(c.raw.subarray(0, 100).toString("latin1"))}`);
      }
      else if (res.status >= 500) {
        result.server_errors++;
        if (result.examples_of_5xx.length < 5) result.examples_of_5xx.push(`${c.category}: ${c.raw.subarray(0, 120).toString("latin1")}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, () => worker()));
  result.wall_s = Math.round((performance.now() - t0) / 10) / 100;
  result.requests_per_s = Math.round(cases.length / result.wall_s);
  const health = await fetch(`${opts.url}/v1/health`).then((r) => r.ok, () => false);
  const authed = await fetch(`${opts.url}/v1/environments`, { headers: { Authorization: `Bearer ${opts.token}` } }).then((r) => r.ok, () => false);
  result.healthy_after = health && authed;
  return result;
}
