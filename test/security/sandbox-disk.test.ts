// Attack: the model fills the disk (the container's writable layer lives on the host's disk). The
// root filesystem must be read-only and every writable area size-limited, a fill must end in a clean
// error the model reads, and the host's disk must not take the bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EpisodeSandbox } from "../../remote-runner/src/rollout/episode-sandbox.js";
import { BUILTIN_TOOLS } from "../../remote-runner/src/rollout/builtin-tools.js";
import type { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { DockerSandbox } from "../../remote-runner/src/sandbox/docker-sandbox.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

let provider: DockerSandboxProvider;
let image: string;
let sb: DockerSandbox;

beforeAll(async () => {
  ({ provider, image } = await sandboxEnv());
  sb = await provider.create({ image, limits: { memoryBytes: 1024 * 2 ** 20, diskBytes: 64 * 2 ** 20 } });
});

afterAll(async () => {
  await sb?.destroy();
});

/** Bytes the container wrote to its layer on the host's disk. */
async function hostBytes(): Promise<number> {
  // dockerode's types lack the API's `size` query; the engine answers it with SizeRw.
  const c = sb.container as unknown as { inspect(o: { size: boolean }): Promise<{ SizeRw?: number }> };
  const info = await c.inspect({ size: true });
  return info.SizeRw ?? 0;
}

describe("disk", () => {
  it("filling home, /tmp and other folders past the quota is a clean error observation; the host's disk is untouched", async () => {
    const handle = new EpisodeSandbox(async () => sb, async () => {}, 60_000);
    const bash = (command: string): Promise<{ output: string; exitCode?: number | null }> => BUILTIN_TOOLS.bash.run({ command }, handle, 60_000);
    const before = await hostBytes();
    // 200 MB into each place the model can name; the areas hold 64 MiB each.
    for (const dir of ["/home/agent", "/tmp", "/var/tmp", "/usr/local"]) {
      const r = await bash(`head -c 200000000 /dev/zero > ${dir}/fill; s=$?; rm -f ${dir}/fill; exit $s`);
      expect(r.output, dir).toMatch(/No space left on device|File size limit exceeded|Read-only file system/);
      expect(r.exitCode, dir).not.toBe(0);
    }
    // Many small files instead of one large one hit the same quota.
    const many = await bash("i=0; while [ $i -lt 100 ]; do head -c 1000000 /dev/zero > /home/agent/f$i || break; i=$((i+1)); done; echo files=$i; exit 1");
    expect(many.output).toMatch(/No space left on device/);
    expect(Number(/files=(\d+)/.exec(many.output)?.[1])).toBeLessThan(70);
    expect((await hostBytes()) - before).toBeLessThan(1024 * 1024);
    // The sandbox works on after the fill, and write_file reports the full disk as such.
    const w = await BUILTIN_TOOLS.write_file.run({ path: "/home/agent/more.txt", content: "x".repeat(8 * 2 ** 20) }, handle, 60_000).catch((e: Error) => ({ output: `Error: ${e.message}` }));
    expect(w.output).toMatch(/No space left on device/);
    expect((await bash("rm -f /home/agent/f*; echo ok > /home/agent/after.txt && cat /home/agent/after.txt")).output).toBe("ok");
  });

  it("core dumps and files over the size limit are refused by ulimits", async () => {
    const r = await sb.exec({ cmd: "grep -E '^Max (core file|file) size' /proc/self/limits" });
    expect(r.stdout).toMatch(new RegExp(`Max file size +${64 * 2 ** 20} +${64 * 2 ** 20} +bytes`));
    expect(r.stdout).toMatch(/Max core file size +0 +0 +bytes/);
  });
});
