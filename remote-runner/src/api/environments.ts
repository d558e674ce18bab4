import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import type { EnvironmentBundle, EnvironmentUploaded } from "@agentrl/protocol";
import { DEFAULT_BUNDLE_LIMITS, storeBundle, type BundleLimits } from "./bundle-upload.js";

const SHA = /^[0-9a-f]{64}$/;

/**
 * Uploaded environment bundles, content-addressed: files under `<home>/envs/<sha256>/`, and a
 * small `<sha256>.json` beside the folder with what the list shows (the folder holds only the
 * user's files, so nothing of ours can shadow one of theirs).
 */
export class EnvironmentRegistry {
  constructor(
    readonly dir: string,
    private readonly limits: BundleLimits = DEFAULT_BUNDLE_LIMITS,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.sweepScratch();
  }

  async upload(body: Readable, name?: string): Promise<EnvironmentUploaded> {
    const stored = await storeBundle(body, this.dir, this.limits);
    const metaFile = path.join(this.dir, `${stored.sha256}.json`);
    let info: EnvironmentBundle;
    if (!stored.created && fs.existsSync(metaFile)) {
      info = JSON.parse(fs.readFileSync(metaFile, "utf8")) as EnvironmentBundle;
    } else {
      info = { sha256: stored.sha256, bytes: stored.bytes, files: stored.files, uploadedAt: Date.now(), ...(name ? { name } : {}) };
      const tmp = `${metaFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(info));
      fs.renameSync(tmp, metaFile);
    }
    return { ...info, created: stored.created };
  }

  list(): EnvironmentBundle[] {
    const out: EnvironmentBundle[] = [];
    for (const f of fs.readdirSync(this.dir)) {
      const m = /^([0-9a-f]{64})\.json$/.exec(f);
      if (!m || !fs.existsSync(path.join(this.dir, m[1] as string))) continue;
      try {
        out.push(JSON.parse(fs.readFileSync(path.join(this.dir, f), "utf8")) as EnvironmentBundle);
      } catch {
        // a half-written meta file from a crash: the bundle is re-listed once uploaded again
      }
    }
    return out.sort((a, b) => b.uploadedAt - a.uploadedAt);
  }

  /** Folder of an uploaded bundle, or null when no bundle has that hash. */
  folderOf(sha256: string): string | null {
    if (!SHA.test(sha256)) return null;
    const dir = path.join(this.dir, sha256);
    return fs.existsSync(dir) ? dir : null;
  }

  /** Scratch folders of uploads a crash interrupted. */
  private sweepScratch(): void {
    for (const f of fs.readdirSync(this.dir)) {
      if (f.startsWith(".upload-")) fs.rmSync(path.join(this.dir, f), { recursive: true, force: true });
    }
  }
}
