// The agent's signal handling, run as the container's PID 1 as in a real sandbox. Its SIGCHLD
// handler runs on the main thread between bytecodes, wherever that thread is, including inside
// "killall", which scans /proc under the spawn lock. A handler that took that lock deadlocked the
// agent for good (a SIGCHLD from the dying processes, or one the model sends to PID 1, at the wrong
// moment); every request then timed out and a scored episode hung until its test did.
import { afterAll, beforeAll, expect, it } from "vitest";
import { AGENT_PY } from "../../remote-runner/src/sandbox/agent-script.js";
import { SANDBOX_USER, type DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

let provider: DockerSandboxProvider;
let image: string;
const removals: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  ({ provider, image } = await sandboxEnv());
});

afterAll(async () => {
  await Promise.all(removals.map((r) => r().catch(() => {})));
});

/** Runs the agent's definitions (not its request loop) with `probe` after them as PID 1; returns stdout, or null if it did not end in time. */
async function asPid1(probe: string, limitMs: number): Promise<string | null> {
  const defs = AGENT_PY.replace(/\nmain\(\)\s*$/, "\n");
  expect(defs).not.toBe(AGENT_PY);
  const c = await provider.docker.createContainer({
    Image: image,
    User: SANDBOX_USER,
    Cmd: ["python3", "-u", "-c", `${defs}\n${probe}`],
    NetworkDisabled: true,
    HostConfig: { NetworkMode: "none", CapDrop: ["ALL"], Init: false },
  });
  removals.push(() => c.remove({ force: true }));
  await c.start();
  const ended = await Promise.race([c.wait(), new Promise<null>((resolve) => setTimeout(() => resolve(null), limitMs).unref())]);
  if (ended === null) return null;
  return (await c.logs({ stdout: true, stderr: true })).toString("utf8");
}

it("a SIGCHLD that arrives while the main thread holds the spawn lock does not deadlock the agent, and orphans are still reaped", async () => {
  const out = await asPid1(
    [
      "import subprocess",
      "harden()",
      "with _spawn_lock:",
      "    os.kill(1, signal.SIGCHLD)",
      "    for _ in range(200000): pass",
      // An orphan (its parent sh exits at once) that ends: PID 1 must reap it, so its /proc entry goes.
      "orphan = subprocess.run(['sh', '-c', 'sleep 0.2 > /dev/null & echo $!'], capture_output=True, text=True).stdout.strip()",
      "deadline = time.monotonic() + 5",
      "while os.path.exists('/proc/' + orphan) and time.monotonic() < deadline: time.sleep(0.05)",
      "print('pid', os.getpid(), 'orphan reaped', not os.path.exists('/proc/' + orphan))",
    ].join("\n"),
    20_000,
  );
  expect(out, "the agent deadlocked in its SIGCHLD handler").not.toBeNull();
  expect(out).toMatch(/pid 1 orphan reaped True/);
});
