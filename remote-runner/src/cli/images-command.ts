import type { Command } from "commander";
import { ensureBaseImage } from "../images/base.js";
import { ensureEnvImage } from "../images/build.js";
import { listImages, pruneImages } from "../images/catalog.js";

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

export function registerImagesCommand(program: Command): void {
  const images = program.command("images").description("build, list and prune sandbox images (offline: never pulled)");
  images
    .command("build")
    .description("build the offline Debian base image, and the image of each ENV_DIR that has a Dockerfile")
    .argument("[envDirs...]", "environment folders whose Dockerfile to build")
    .option("--rebuild", "re-run debootstrap for the base even if cached")
    .action(async (envDirs: string[], opts: { rebuild?: boolean }) => {
      const progress = (line: string) => console.error(line);
      const t0 = Date.now();
      const base = await ensureBaseImage({ progress, rebuild: Boolean(opts.rebuild) });
      console.log(`base  ${base}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      for (const dir of envDirs) {
        const t = Date.now();
        const ref = await ensureEnvImage(dir, { progress });
        console.log(`env   ${ref}  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      }
    });
  images
    .command("list")
    .description("list the runner's images")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const rows = await listImages();
      if (opts.json) return console.log(JSON.stringify(rows));
      if (rows.length === 0) return console.log("no images yet: run `agentrl images build`");
      for (const r of rows) console.log(`${r.kind.padEnd(9)} ${r.ref.padEnd(48)} ${mb(r.sizeBytes).padStart(8)}  ${r.created}${r.current ? "" : "  (stale)"}`);
    });
  images
    .command("prune")
    .description("remove stale base images, older env builds and snapshots")
    .option("--all", "remove every runner image")
    .action(async (opts: { all?: boolean }) => {
      const { removed, kept } = await pruneImages({ all: Boolean(opts.all) });
      for (const r of removed) console.log(`removed ${r}`);
      console.log(`${removed.length} removed, ${kept.length} kept`);
    });
}
