import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Content-addressed files: `<root>/<sha[0:2]>/<sha256>`. Writing the same bytes twice is a no-op. */
export class BlobDir {
  constructor(readonly root: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256 hex digest: "${sha256}"`);
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  put(bytes: Uint8Array): { sha256: string; size: number } {
    const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
    const file = this.pathOf(sha256);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Write to a temporary name and rename, so a reader never sees a half-written blob.
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, file);
    }
    return { sha256, size: bytes.byteLength };
  }

  get(sha256: string): Buffer | null {
    const file = this.pathOf(sha256);
    return fs.existsSync(file) ? fs.readFileSync(file) : null;
  }
}
