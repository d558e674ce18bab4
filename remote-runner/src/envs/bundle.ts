import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { pack } from "tar-stream";

const SKIP_DIRS = new Set(["node_modules", ".git", "dist", ".agentrl", "__pycache__"]);

/** Files of an env folder, relative and sorted, so the bundle (and its hash) depend only on content. */
export function envFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(r);
      } else if (entry.isFile()) out.push(r);
    }
  };
  walk("");
  return out.sort();
}

/**
 * The upload bundle of an env folder: a tar.gz with fixed timestamps and modes, so the same sources
 * always give the same bytes; its sha256 is the environment's provenance hash.
 */
export async function bundleEnv(dir: string): Promise<{ tarGz: Buffer; sha256: string; files: string[] }> {
  const files = envFiles(dir);
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on("data", (c: unknown) => chunks.push(c as Buffer));
    p.on("end", () => resolve());
    p.on("error", reject);
  });
  for (const rel of files) {
    const data = fs.readFileSync(path.join(dir, rel));
    p.entry({ name: rel, size: data.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" }, data);
  }
  p.finalize();
  await done;
  const tarGz = zlib.gzipSync(Buffer.concat(chunks), { level: 9 });
  return { tarGz, sha256: crypto.createHash("sha256").update(tarGz).digest("hex"), files };
}
