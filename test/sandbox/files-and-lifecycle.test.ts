import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageBuildError } from "../../remote-runner/src/images/progress.js";
import { ensureEnvImage } from "../../remote-runner/src/images/build.js";
import type { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { DockerSandbox } from "../../remote-runner/src/sandbox/docker-sandbox.js";
import { SandboxPool } from "../../remote-runner/src/sandbox/pool.js";
import { SandboxError } from "../../remote-runner/src/sandbox/types.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

let provider: DockerSandboxProvider;
let image: string;
const made: DockerSandbox[] = [];

async function sandbox(channel: "agent" | "exec" = "agent"): Promise<DockerSandbox> {
  const sb = await provider.create({ image, channel });
  made.push(sb);
  return sb;
}

async function containerExists(id: string): Promise<boolean> {
  try {
    await provider.docker.getContainer(id).inspect();
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  ({ provider, image } = await sandboxEnv());
});

afterAll(async () => {
  await Promise.all(made.map((s) => s.destroy()));
});

describe("files", () => {
  it("round-trips a 10 MB binary file byte-exact", async () => {
    const sb = await sandbox();
    const data = randomBytes(10 * 1024 * 1024);
    await sb.writeFile("work/blob.bin", data);
    const back = await sb.readFile("work/blob.bin");
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
    const inside = await sb.exec({ cmd: "sha256sum work/blob.bin | cut -d' ' -f1; stat -c %U work/blob.bin" });
    expect(inside.stdout.split("\n")[0]).toBe(createHash("sha256").update(data).digest("hex"));
    expect(inside.stdout.split("\n")[1]).toBe("agent");
  });

  it("writes and reads folders, and names a missing file", async () => {
    const sb = await sandbox();
    await sb.writeDir("/home/agent/repo", { "a.txt": "alpha", "src/b.py": "print('b')\n", "src/deep/c.bin": new Uint8Array([0, 255, 1]) });
    const run = await sb.exec({ cmd: "python3 src/b.py && cat a.txt", cwd: "/home/agent/repo" });
    expect(run.stdout).toBe("b\nalpha");
    const files = await sb.readDir("/home/agent/repo");
    expect([...files.keys()].sort()).toEqual(["a.txt", "src/b.py", "src/deep/c.bin"]);
    expect([...(files.get("src/deep/c.bin") ?? [])]).toEqual([0, 255, 1]);
    await expect(sb.readFile("/home/agent/nope.txt")).rejects.toThrow(/no such file in the sandbox: \/home\/agent\/nope.txt/);
    await expect(sb.writeDir("x", { "../escape": "no" })).rejects.toThrow(/must be a relative path/);
  });

  it("passes stdin, environment and working directory to commands", async () => {
    for (const channel of ["agent", "exec"] as const) {
      const sb = await sandbox(channel);
      const res = await sb.exec({ cmd: "cat; echo \"$GREETING\"; pwd", stdin: "from-stdin\n", env: { GREETING: "hello" }, cwd: "/tmp" });
      expect(res.stdout, channel).toBe("from-stdin\nhello\n/tmp\n");
      const fail = await sb.exec({ cmd: "exit 3" });
      expect(fail.exitCode, channel).toBe(3);
      const slow = await sb.exec({ cmd: "sleep 20", timeoutMs: 500 });
      expect(slow.timedOut, channel).toBe(true);
    }
  });
});

describe("lifecycle", () => {
  it("snapshots a sandbox and starts a new one from the snapshot", async () => {
    const sb = await sandbox();
    await sb.writeFile("state.txt", "turn 3");
    const snap = await sb.snapshot();
    try {
      const fork = await provider.fromSnapshot(snap);
      made.push(fork);
      expect(fork.id).not.toBe(sb.id);
      expect((await fork.readFile("state.txt")).toString()).toBe("turn 3");
      await fork.writeFile("state.txt", "forked");
      expect((await sb.readFile("state.txt")).toString()).toBe("turn 3");
    } finally {
      await Promise.all(made.splice(0).map((s) => s.destroy()));
      await provider.docker.getImage(snap.imageId).remove({ force: true });
    }
  });

  it("reports a sandbox that dies mid-command as an infrastructure error", async () => {
    const sb = await sandbox();
    // Handle the outcome from the start: the failure may arrive before kill() itself returns.
    const pending = sb.exec({ cmd: "sleep 30", timeoutMs: 60_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    await sb.container.kill();
    const err = await pending;
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).code).toBe("sandbox_died");
    expect((err as SandboxError).infra).toBe(true);
    expect(await sb.alive()).toBe(false);
  });

  it("names a missing image and a broken Dockerfile", async () => {
    const missing = await provider.create({ image: "agentrl/env-does-not-exist:0" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SandboxError);
    expect((missing as SandboxError).code).toBe("image_missing");
    expect((missing as Error).message).toContain("agentrl/env-does-not-exist:0");
    expect((missing as Error).message).toContain("agentrl images build");

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-broken-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN exit 7\n");
    const broken = await ensureEnvImage(dir).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(ImageBuildError);
    expect((broken as Error).message).toContain(path.join(dir, "Dockerfile"));
    expect((broken as Error).message).toMatch(/RUN exit 7/);

    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM debian:bookworm\n");
    await expect(ensureEnvImage(dir)).rejects.toThrow(/must build FROM the offline base/);
  });

  it("builds an env image once and reuses it by content hash", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-env-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY tool.sh /usr/local/bin/tool\n");
    fs.writeFileSync(path.join(dir, "tool.sh"), "#!/bin/sh\necho tool-v1\n", { mode: 0o755 });
    const ref1 = await ensureEnvImage(dir);
    const ref2 = await ensureEnvImage(dir);
    expect(ref2).toBe(ref1);
    fs.writeFileSync(path.join(dir, "tool.sh"), "#!/bin/sh\necho tool-v2\n", { mode: 0o755 });
    const ref3 = await ensureEnvImage(dir);
    expect(ref3).not.toBe(ref1);
    const sb = await provider.create({ image: ref3 });
    made.push(sb);
    expect((await sb.exec({ cmd: "tool" })).stdout).toBe("tool-v2\n");
    await sb.destroy();
    for (const r of [ref1, ref3]) await provider.docker.getImage(r).remove({ force: true });
  });

  it("reaps containers left by a runner that was killed", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "../helpers/orphan-maker.mts"), "2"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const ids: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const l of lines) {
          if (l === "READY") resolve();
          else if (l) ids.push(l);
        }
      });
      child.on("exit", (code) => reject(new Error(`orphan maker exited early (${code})`)));
    });
    expect(ids).toHaveLength(2);
    // A live owner's containers are not touched.
    expect(await provider.reapOrphans({ "agentrl.test": "orphan" })).toBe(0);
    const exited = new Promise((r) => child.on("exit", r));
    child.kill("SIGKILL");
    await exited;
    for (const id of ids) expect(await containerExists(id)).toBe(true);
    expect(await provider.reapOrphans({ "agentrl.test": "orphan" })).toBe(2);
    for (const id of ids) expect(await containerExists(id)).toBe(false);
  });
});

describe("warm pool", () => {
  it("hands out pre-started sandboxes, refills, and destroys released ones", async () => {
    const pool = new SandboxPool(provider, { warm: 2 });
    const spec = { image, labels: { "agentrl.test": "pool" } };
    try {
      await pool.prewarm(spec, 2);
      expect(pool.idleCount(spec)).toBe(2);
      const warmIds = new Set((await provider.docker.listContainers({ filters: { label: ["agentrl.test=pool"] } })).map((c) => c.Id));
      expect(warmIds.size).toBe(2);
      const sb = await pool.acquire(spec);
      expect(warmIds.has(sb.id)).toBe(true);
      expect((await sb.exec({ cmd: "echo ready" })).stdout).toBe("ready\n");
      await pool.release(sb);
      expect(await containerExists(sb.id)).toBe(false);
      // Two different specs never share containers.
      const other = await pool.acquire({ image, labels: { "agentrl.test": "pool-other" } });
      expect(warmIds.has(other.id)).toBe(false);
      await pool.release(other);
    } finally {
      await pool.close();
    }
    const left = await provider.docker.listContainers({ all: true, filters: { label: ["agentrl.test=pool"] } });
    expect(left).toHaveLength(0);
  });
});
