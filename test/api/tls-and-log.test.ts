import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startRunner, type Runner } from "../../remote-runner/src/api/runner-server.js";
import { tempHome } from "./fixture.js";

let home: string;
let runner: Runner;
let ca: Buffer;
const log: string[] = [];

beforeAll(async () => {
  home = tempHome("agentrl-tls-");
  const key = path.join(home, "key.pem");
  const cert = path.join(home, "cert.pem");
  // A self-signed certificate for 127.0.0.1, as a user would make for a runner without a CA.
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  ca = fs.readFileSync(cert);
  const prev = process.env.AGENTRL_TOKEN;
  delete process.env.AGENTRL_TOKEN; // this runner generates its own token
  runner = await startRunner({ home, port: 0, tls: { certFile: cert, keyFile: key }, log: (l) => log.push(l) });
  if (prev !== undefined) process.env.AGENTRL_TOKEN = prev;
});
afterAll(async () => {
  await runner.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function get(pathname: string, token?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${runner.url}${pathname}`, { ca, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
  });
}

describe("--tls-cert/--tls-key and the token's secrecy", () => {
  it("serves HTTPS and WSS with the given certificate and still demands the token", async () => {
    expect(runner.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await get("/v1/health")).status).toBe(200);
    expect((await get("/v1/runs")).status).toBe(401);
    expect((await get("/v1/runs", runner.token.token)).status).toBe(200);
    const frame = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`${runner.wsUrl}?after=0`, { ca, headers: { Authorization: `Bearer ${runner.token.token}` } });
      ws.once("message", (d) => {
        resolve(d.toString());
        ws.close();
      });
      ws.once("error", reject);
    });
    expect(JSON.parse(frame)).toEqual({ kind: "ready", after: 0 });
    // Plain HTTP on the TLS port gets nothing useful.
    const plain = await fetch(runner.url.replace("https:", "http:") + "/v1/health").then((r) => r.status, () => "refused");
    expect(plain).not.toBe(200);
  });

  it("wrote the generated token with mode 0600 and never logs it, not even from a refused request", async () => {
    expect(runner.token.source).toBe("generated");
    expect(fs.statSync(path.join(home, "token")).mode & 0o777).toBe(0o600);
    await get(`/v1/runs?text=${runner.token.token}`, runner.token.token);
    await get("/v1/runs", `${runner.token.token}-wrong`);
    expect(log.length).toBeGreaterThan(3);
    expect(log.join("\n")).not.toContain(runner.token.token);
    expect(log.some((l) => l.startsWith("GET /v1/runs 401"))).toBe(true);
  });
});
