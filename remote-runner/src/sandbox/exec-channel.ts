import type Docker from "dockerode";
import type { ExecResult } from "@agentrl/protocol";
import { DockerFrameDemuxer } from "./demux.js";
import { SandboxError, type ExecRequest } from "./types.js";

/**
 * One `docker exec` per command: what most tools do. Kept for images without python3 and as the
 * measured alternative to the agent channel (`agentrl bench sandbox`). Time limits use coreutils
 * `timeout` inside the container; the output cap is applied as the stream arrives.
 */
export async function execViaDockerExec(
  container: Docker.Container,
  req: ExecRequest,
  defaults: { timeoutMs: number; maxOutputBytes: number; cwd?: string; user: string },
): Promise<ExecResult> {
  const started = performance.now();
  const timeoutMs = req.timeoutMs ?? defaults.timeoutMs;
  const cap = req.maxOutputBytes ?? defaults.maxOutputBytes;
  const argv = typeof req.cmd === "string" ? ["/bin/sh", "-c", req.cmd] : req.cmd;
  const secs = Math.max(0.001, timeoutMs / 1000).toFixed(3);
  let exec: Docker.Exec;
  try {
    exec = await container.exec({
      Cmd: ["timeout", "-s", "KILL", secs, ...argv],
      AttachStdin: req.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: Object.entries(req.env ?? {}).map(([k, v]) => `${k}=${v}`),
      WorkingDir: req.cwd ?? defaults.cwd,
      User: defaults.user,
    });
  } catch (err) {
    throw new SandboxError("sandbox_died", `docker exec failed: ${(err as Error).message}`, { cause: err });
  }
  const stream = (await exec.start({ hijack: true, stdin: req.stdin !== undefined })) as unknown as import("node:stream").Duplex;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  let truncated = false;
  const demux = new DockerFrameDemuxer((type, payload) => {
    if (type === 1) {
      if (outLen < cap) out.push(payload.subarray(0, cap - outLen));
      outLen += payload.length;
      if (outLen > cap) truncated = true;
    } else {
      if (errLen < cap) err.push(payload.subarray(0, cap - errLen));
      errLen += payload.length;
      if (errLen > cap) truncated = true;
    }
  });
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (c: Buffer) => demux.push(c));
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
    if (req.stdin !== undefined) stream.end(Buffer.from(req.stdin));
  });
  const info = await exec.inspect();
  const code = info.ExitCode;
  const timedOut = code === 137 && performance.now() - started >= timeoutMs * 0.95;
  return {
    exitCode: timedOut ? null : code,
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
    timedOut,
    truncated,
    oomKilled: false,
    durationMs: performance.now() - started,
  };
}
