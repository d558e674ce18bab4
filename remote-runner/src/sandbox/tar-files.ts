import path from "node:path";
import { Readable } from "node:stream";
import * as tar from "tar-stream";

const AGENT_UID = 1000;

/** Packs files (paths relative to the archive root) into a tar owned by the sandbox user. */
export async function packFiles(files: Record<string, string | Uint8Array>, mode = 0o644, uid = AGENT_UID): Promise<Buffer> {
  const pack = tar.pack();
  const dirs = new Set<string>();
  for (const rel of Object.keys(files)) {
    let d = path.posix.dirname(rel);
    while (d !== "." && d !== "/" && !dirs.has(d)) {
      dirs.add(d);
      d = path.posix.dirname(d);
    }
  }
  for (const d of [...dirs].sort()) pack.entry({ name: d, type: "directory", mode: 0o755, uid, gid: uid });
  for (const [rel, data] of Object.entries(files)) {
    pack.entry({ name: rel, mode, uid, gid: uid }, Buffer.from(data));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Reads every regular file of a tar stream; names keep the archive's own prefix. */
export async function unpackFiles(stream: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const out = new Map<string, Buffer>();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (c: unknown) => chunks.push(c as Buffer));
      body.on("end", () => {
        if (header.type === "file") out.set(header.name, Buffer.concat(chunks));
        next();
      });
      body.on("error", reject);
    });
    extract.on("finish", () => resolve());
    extract.on("error", reject);
  });
  (stream instanceof Readable ? stream : Readable.from(stream as AsyncIterable<Buffer>)).pipe(extract);
  await done;
  return out;
}
