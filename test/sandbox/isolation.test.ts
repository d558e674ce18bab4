import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { DockerSandbox } from "../../remote-runner/src/sandbox/docker-sandbox.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

let provider: DockerSandboxProvider;
let image: string;
const made: DockerSandbox[] = [];

async function sandbox(limits?: { memoryBytes?: number; pids?: number; cpus?: number }): Promise<DockerSandbox> {
  const sb = await provider.create({ image, limits });
  made.push(sb);
  return sb;
}

/** Path of the container's pids cgroup on the host (cgroup v1 or v2), to watch it from outside. */
async function pidsCurrentFile(sb: DockerSandbox): Promise<string> {
  const pid = (await sb.container.inspect()).State.Pid;
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  const v1 = lines.find((l) => /^\d+:pids:/.test(l));
  if (v1) return `/sys/fs/cgroup/pids${v1.split(":")[2]}/pids.current`;
  return `/sys/fs/cgroup${(lines.find((l) => l.startsWith("0::")) ?? "0::/").slice(3)}/pids.current`;
}

beforeAll(async () => {
  ({ provider, image } = await sandboxEnv());
});

afterAll(async () => {
  await Promise.all(made.map((s) => s.destroy()));
});

describe("sandbox isolation", () => {
  it("has no network interface but lo", async () => {
    const sb = await sandbox();
    const res = await sb.exec({ cmd: "ls /sys/class/net; echo ---; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '" });
    expect(res.exitCode).toBe(0);
    const [sysfs, procfs] = res.stdout.split("---\n");
    expect(sysfs?.trim().split("\n")).toEqual(["lo"]);
    expect(procfs?.trim().split("\n")).toEqual(["lo"]);
    const info = await sb.container.inspect();
    expect(info.HostConfig.NetworkMode).toBe("none");
  });

  it("runs as a non-root user with no capabilities and no-new-privileges", async () => {
    const sb = await sandbox();
    const res = await sb.exec({ cmd: "id -u; id -g; grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status" });
    const lines = res.stdout.trim().split("\n");
    expect(lines[0]).toBe("1000");
    expect(lines[1]).toBe("1000");
    for (const cap of ["CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
      expect(lines.find((l) => l.startsWith(cap))).toMatch(/:\s+0000000000000000$/);
    }
    expect(lines.find((l) => l.startsWith("NoNewPrivs"))).toMatch(/:\s+1$/);
    const denied = await sb.exec({ cmd: "touch /etc/owned" });
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/Read-only file system|Permission denied/);
  });

  it("stops a fork bomb at the pids limit and the host stays responsive", async () => {
    const sb = await sandbox({ pids: 64 });
    const pidsFile = await pidsCurrentFile(sb);
    // The parent keeps the session alive past the bomb, so the time limit has a swarm to kill.
    const bomb = sb.exec({ cmd: ["bash", "-c", "bomb() { bomb | bomb & }; bomb; sleep 60"], timeoutMs: 6000 });
    // Watch from the host until the bomb has filled the pids cgroup (bounded by a deadline).
    const deadline = Date.now() + 6000;
    let peak = 0;
    while (Date.now() < deadline && peak < 60) {
      peak = Math.max(peak, Number(fs.readFileSync(pidsFile, "utf8")));
      await new Promise((r) => setImmediate(r));
    }
    expect(peak).toBeGreaterThanOrEqual(60);
    expect(peak).toBeLessThanOrEqual(64);
    const t0 = performance.now();
    const host = spawnSync("sh", ["-c", "echo host-ok"], { encoding: "utf8", timeout: 10_000 });
    expect(host.stdout.trim()).toBe("host-ok");
    expect(performance.now() - t0).toBeLessThan(5000);
    const res = await bomb;
    expect(res.timedOut).toBe(true);
    expect(res.exitCode).toBeNull();
    // The session was killed: the sandbox is usable again and nothing of the bomb is left.
    const after = await sb.exec({ cmd: "echo alive; ps -e --no-headers | wc -l" });
    expect(after.stdout.split("\n")[0]).toBe("alive");
    expect(Number(after.stdout.split("\n")[1])).toBeLessThan(8);
  });

  it("answers a command even when the pids limit leaves room for the command alone", async () => {
    // docker-init, the agent and its request thread take 3 of the 4: the agent must not need
    // another thread once the command runs (a fork bomb fills the limit just as fast).
    const sb = await sandbox({ pids: 4 });
    const res = await sb.exec({ cmd: "echo hi; echo there >&2", timeoutMs: 5000 });
    expect(res.stdout).toBe("hi\n");
    expect(res.stderr).toBe("there\n");
    expect(res.exitCode).toBe(0);
    expect(res.timedOut).toBe(false);
  });

  it("while one command holds every pid, another gets an error naming the limit, and the sandbox recovers", async () => {
    const sb = await sandbox({ pids: 16 });
    const pidsFile = await pidsCurrentFile(sb);
    // bash retries a failed fork, so the filler stays alive (and the pids stay taken) until its limit.
    const filler = sb.exec({ cmd: ["bash", "-c", "for i in $(seq 40); do sleep 60 & done; wait"], timeoutMs: 5000 });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && Number(fs.readFileSync(pidsFile, "utf8")) < 16) {
      await new Promise((r) => setImmediate(r));
    }
    expect(Number(fs.readFileSync(pidsFile, "utf8"))).toBe(16);
    await expect(sb.exec({ cmd: "echo second" })).rejects.toThrow(/process limit.*limits\.pids/);
    const res = await filler;
    expect(res.timedOut).toBe(true);
    const after = await sb.exec({ cmd: "echo recovered; ps -e --no-headers | wc -l" });
    expect(after.stdout.split("\n")[0]).toBe("recovered");
    expect(Number(after.stdout.split("\n")[1])).toBeLessThan(8);
  });

  it("kills a memory hog and reports out-of-memory", async () => {
    const sb = await sandbox({ memoryBytes: 128 * 1024 * 1024 });
    const res = await sb.exec({ cmd: ["python3", "-c", "x = b'a' * (512 << 20); print('survived')"], timeoutMs: 30_000 });
    expect(res.oomKilled).toBe(true);
    expect(res.stdout).not.toContain("survived");
    expect(res.exitCode === null || res.exitCode === 137).toBe(true);
    const info = await sb.container.inspect();
    expect(info.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(info.HostConfig.MemorySwap).toBe(128 * 1024 * 1024);
    // The agent survives the OOM kill of the command.
    expect((await sb.exec({ cmd: "echo still-here" })).stdout).toBe("still-here\n");
  });

  it("kills a runaway process at the exec time limit and reports a timeout", async () => {
    const sb = await sandbox();
    const t0 = performance.now();
    const res = await sb.exec({ cmd: "while :; do :; done", timeoutMs: 1000 });
    const elapsed = performance.now() - t0;
    expect(res.timedOut).toBe(true);
    expect(res.exitCode).toBeNull();
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(6000);
    const bg = await sb.exec({ cmd: "sleep 300 & sleep 300", timeoutMs: 500 });
    expect(bg.timedOut).toBe(true);
    const ps = await sb.exec({ cmd: "ps -e -o comm= | grep -c '^sleep$' || true" });
    expect(ps.stdout.trim()).toBe("0");
  });

  it("truncates output over the cap and flags it", async () => {
    const sb = await sandbox();
    const res = await sb.exec({ cmd: "head -c 5000000 /dev/zero | tr '\\0' a; echo done >&2", maxOutputBytes: 100_000 });
    expect(res.exitCode).toBe(0);
    expect(res.truncated).toBe(true);
    expect(res.stdout.length).toBe(100_000);
    expect(res.stdout).toMatch(/^a+$/);
    expect(res.stderr).toBe("done\n");
    const small = await sb.exec({ cmd: "echo short" });
    expect(small.truncated).toBe(false);
  });

  it("enforces the cpu limit as a quota", async () => {
    const sb = await sandbox({ cpus: 0.5 });
    const info = await sb.container.inspect();
    expect(info.HostConfig.NanoCpus).toBe(5e8);
    expect(info.HostConfig.PidsLimit).toBe(256);
    expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(info.HostConfig.SecurityOpt).toContain("no-new-privileges");
  });
});
