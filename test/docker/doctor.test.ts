import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const cli = path.join(__dirname, "../../remote-runner/dist/cli.js");

function agentrl(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env, timeout: 60_000 });
}

describe("agentrl doctor", () => {
  it("reports the reachable engine", () => {
    const res = agentrl(["doctor", "--json"]);
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout.trim().split("\n").pop() as string) as { ok: boolean; docker: { host: string; serverVersion: string } };
    expect(report.ok).toBe(true);
    expect(report.docker.host).toMatch(/^unix:\/\//);
    expect(report.docker.serverVersion).toMatch(/^\d+\./);
  });

  it("names the fix when DOCKER_HOST points at no daemon, and never silently uses another", () => {
    const res = agentrl(["doctor"], { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(res.status).toBe(1);
    expect(res.stdout).toContain("unix:///nonexistent/docker.sock");
    expect(res.stdout).toMatch(/Fix: DOCKER_HOST=unix:\/\/\/nonexistent\/docker.sock does not answer: start that daemon or unset DOCKER_HOST/);
  });

  it("fails a sandbox command with the same fix instead of hanging", () => {
    const res = agentrl(["images", "list"], { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/No Docker engine is reachable.*agentrl doctor --fix/);
  });
});
