import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateToken, tokenMatches } from "../../remote-runner/src/api/token.js";
import { startTestServer, tempHome, type TestServer } from "./fixture.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

describe("token", () => {
  it("is generated once into $AGENTRL_HOME/token with mode 0600 and reused after", () => {
    const home = tempHome();
    const first = loadOrCreateToken(home, {});
    expect(first.source).toBe("generated");
    expect(first.token.length).toBeGreaterThanOrEqual(40);
    expect(fs.statSync(path.join(home, "token")).mode & 0o777).toBe(0o600);
    const second = loadOrCreateToken(home, {});
    expect(second).toMatchObject({ source: "file", token: first.token });
    fs.rmSync(home, { recursive: true });
  });

  it("AGENTRL_TOKEN overrides the file and short tokens are refused", () => {
    const home = tempHome();
    expect(loadOrCreateToken(home, { AGENTRL_TOKEN: "x".repeat(32) })).toMatchObject({ source: "env", token: "x".repeat(32) });
    expect(fs.existsSync(path.join(home, "token"))).toBe(false);
    expect(() => loadOrCreateToken(home, { AGENTRL_TOKEN: "short" })).toThrow(/16 characters/);
    fs.rmSync(home, { recursive: true });
  });

  it("compares tokens exactly", () => {
    expect(tokenMatches("abc", "abc")).toBe(true);
    expect(tokenMatches("abc", "abd")).toBe(false);
    expect(tokenMatches("abc", "abcd")).toBe(false);
    expect(tokenMatches("", "abc")).toBe(false);
  });
});

describe("HTTP auth", () => {
  it("health needs no token", async () => {
    const res = await fetch(`${s.url}/v1/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, api: "v1" });
  });

  it("no token → 401 with a message naming the fix", async () => {
    const res = await fetch(`${s.url}/v1/runs/x/metrics`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.message).toMatch(/Authorization: Bearer/);
  });

  it("wrong token → 401, and the right one gets through", async () => {
    const wrong = await fetch(`${s.url}/v1/environments`, { headers: { Authorization: `Bearer ${s.token}x` } });
    expect(wrong.status).toBe(401);
    const basic = await fetch(`${s.url}/v1/environments`, { headers: { Authorization: `Basic ${s.token}` } });
    expect(basic.status).toBe(401);
    const right = await fetch(`${s.url}/v1/environments`, { headers: { Authorization: `Bearer ${s.token}` } });
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ items: [] });
  });

  it("sends no CORS headers, even to a request with an Origin", async () => {
    for (const method of ["GET", "OPTIONS"]) {
      const res = await fetch(`${s.url}/v1/health`, { method, headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" } });
      for (const name of res.headers.keys()) expect(name.startsWith("access-control-")).toBe(false);
    }
  });

  it("the WebSocket stream refuses a missing or wrong token", async () => {
    const { WebSocket } = await import("ws");
    for (const headers of [{}, { Authorization: "Bearer nope-nope-nope-nope" }]) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${s.wsUrl}?after=0`, { headers });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => resolve(101));
        ws.on("error", () => undefined);
      });
      expect(status).toBe(401);
    }
  });

  it("serves an OpenAPI document listing the routes with their schemas", async () => {
    const res = await fetch(`${s.url}/v1/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/v1/environments"]?.post?.responses["201"]).toBeDefined();
    expect(doc.paths["/v1/health"]?.get?.security).toEqual([]);
    expect(doc.paths["/v1/runs/{id}/trajectories"]?.get).toBeDefined();
    expect(doc.paths["/v1/events"]?.get?.responses["101"]).toBeDefined();
    // A plain GET of the stream is told to upgrade, not served.
    const plain = await fetch(`${s.url}/v1/events`, { headers: { Authorization: `Bearer ${s.token}` } });
    expect(plain.status).toBe(426);
  });
});
