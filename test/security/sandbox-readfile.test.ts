// Attack: the model calls read_file on "/" (the whole filesystem) or on a file of hundreds of MB, to
// blow the runner's memory. The built-in tool must refuse both with a message that says what to do,
// and the runner's memory must stay flat while it does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EpisodeSandbox } from "../../remote-runner/src/rollout/episode-sandbox.js";
import { BUILTIN_TOOLS } from "../../remote-runner/src/rollout/builtin-tools.js";
import type { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { DockerSandbox } from "../../remote-runner/src/sandbox/docker-sandbox.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

let provider: DockerSandboxProvider;
let image: string;
let sb: DockerSandbox;
let handle: EpisodeSandbox;

beforeAll(async () => {
  ({ provider, image } = await sandboxEnv());
  sb = await provider.create({ image, limits: { memoryBytes: 768 * 2 ** 20 } });
  handle = new EpisodeSandbox(async () => sb, async () => {}, 60_000);
});

afterAll(async () => {
  await sb?.destroy();
});

/** Runs `fn` while sampling the runner's RSS every few ms; returns its result and the RSS growth at the peak. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, growthMb: (peak - before) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/** What the tool answers: its output, or the refusal the engine shows the model as a tool error. */
const readFile = (path: string): Promise<{ output: string }> =>
  BUILTIN_TOOLS.read_file.run({ path }, handle, 60_000).catch((e: Error) => ({ output: `Error: ${e.message}` }));

describe("read_file cannot blow the runner's memory", () => {
  it('read_file "/" five times: a refusal naming the folder and the fix, runner RSS flat', async () => {
    const { value, growthMb } = await peakRssGrowth(async () => {
      const outs: string[] = [];
      for (let i = 0; i < 5; i++) outs.push((await readFile("/")).output);
      return outs;
    });
    for (const out of value) expect(out).toMatch(/^Error: \/ is a folder; read_file reads one file\. List the folder with bash/);
    expect(growthMb).toBeLessThan(48);
  });

  it("a 300 MB file is refused by size, with the limit and how to read a part; runner RSS flat", async () => {
    const made = await sb.exec({ cmd: "head -c 200000000 /dev/zero > /tmp/big && truncate -s 300000000 /tmp/big 2>/dev/null; ls -l /tmp/big", timeoutMs: 60_000 });
    expect(made.stdout).toMatch(/big/);
    const { value, growthMb } = await peakRssGrowth(() => readFile("/tmp/big"));
    expect(value.output).toMatch(/^Error: \/tmp\/big is \d+ bytes, over the 1048576-byte read limit; read_file returns at most 1048576 bytes\. Read a part with bash/);
    expect(growthMb).toBeLessThan(48);
    // A file under the cap still reads in full.
    await sb.exec({ cmd: "head -c 500000 /dev/zero | tr '\\0' 'a' > /tmp/ok.txt" });
    expect((await readFile("/tmp/ok.txt")).output).toBe("a".repeat(500_000));
  });
});
