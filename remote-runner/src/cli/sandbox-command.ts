import { createHash, randomBytes } from "node:crypto";
import type { Command } from "commander";
import { ensureBaseImage } from "../images/base.js";
import { DockerSandboxProvider } from "../sandbox/docker-provider.js";
import type { ExecResult } from "../sandbox/types.js";

function show(label: string, r: ExecResult): void {
  const flags = [r.timedOut && "TIMED OUT", r.oomKilled && "OUT OF MEMORY", r.truncated && "TRUNCATED"].filter(Boolean).join(", ");
  console.log(`  ${label.padEnd(34)} exit=${r.exitCode ?? "killed"} ${Math.round(r.durationMs)} ms${flags ? `  [${flags}]` : ""}`);
}

export function registerSandboxCommand(program: Command): void {
  const sandbox = program.command("sandbox").description("work with a single sandbox");
  sandbox
    .command("demo")
    .description("start a sandbox and show exec, a file round trip, and each limit at work")
    .option("--image <ref>", "image to use (default: the offline base)")
    .action(async (opts: { image?: string }) => {
      const image = opts.image ?? (await ensureBaseImage({ progress: (l) => console.error(l) }));
      const provider = await DockerSandboxProvider.connect();
      const reaped = await provider.reapOrphans();
      if (reaped) console.log(`reaped ${reaped} container(s) left by a runner that died`);
      const t0 = performance.now();
      const sb = await provider.create({ image, limits: { memoryBytes: 256 * 2 ** 20, pids: 128, cpus: 1 } });
      console.log(`started sandbox ${sb.id.slice(0, 12)} from ${image} in ${Math.round(performance.now() - t0)} ms`);
      try {
        const who = await sb.exec({ cmd: "echo \"$(id -un) uid=$(id -u)\"; ls /sys/class/net | tr '\\n' ' '" });
        const [user, nets] = who.stdout.split("\n");
        console.log(`  user: ${user}; network interfaces: ${nets?.trim()}`);
        show("python3 -c 'print(6*7)'", await sb.exec({ cmd: ["python3", "-c", "print(6*7)"] }));
        const data = randomBytes(10 * 2 ** 20);
        const tf = performance.now();
        await sb.writeFile("data/blob.bin", data);
        const back = await sb.readFile("data/blob.bin");
        const same = createHash("sha256").update(back).digest("hex") === createHash("sha256").update(data).digest("hex");
        console.log(`  10 MB file round trip: ${same ? "byte-exact" : "CORRUPTED"} in ${Math.round(performance.now() - tf)} ms`);
        console.log("limits:");
        show("runaway loop, 1 s time limit", await sb.exec({ cmd: "while :; do :; done", timeoutMs: 1000 }));
        show("allocate 1 GiB under 256 MiB", await sb.exec({ cmd: ["python3", "-c", "x = b'a' * (1 << 30)"], timeoutMs: 30_000 }));
        show("fork bomb under 128 pids, 3 s", await sb.exec({ cmd: ["bash", "-c", "b() { b | b & }; b; sleep 30"], timeoutMs: 3000 }));
        show("5 MB of output, 64 KiB cap", await sb.exec({ cmd: "head -c 5000000 /dev/zero", maxOutputBytes: 65536 }));
        show("write outside home (non-root)", await sb.exec({ cmd: "touch /etc/x" }));
        console.log(`  still alive after all that: ${(await sb.exec({ cmd: "echo yes" })).stdout.trim()}`);
      } finally {
        await sb.destroy();
      }
      console.log("sandbox destroyed");
    });
}
