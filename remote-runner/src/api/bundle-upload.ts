import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import tar from "tar-stream";
import { within } from "../envs/confine.js";
import { ApiError } from "./errors.js";

export interface BundleLimits {
  /** Largest accepted upload (compressed bytes). */
  maxCompressedBytes: number;
  /** Largest total of extracted file contents (guards against gzip bombs). */
  maxExtractedBytes: number;
  maxEntries: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxCompressedBytes: 64 * 1024 * 1024,
  maxExtractedBytes: 512 * 1024 * 1024,
  maxEntries: 20_000,
};

export interface StoredBundle {
  sha256: string;
  dir: string;
  bytes: number;
  files: number;
  /** False when a bundle with the same hash was already stored. */
  created: boolean;
}

function reject(message: string): ApiError {
  return new ApiError(400, "invalid_bundle", message, "body");
}

/**
 * Normalizes an entry name to a relative POSIX path, rejecting absolute paths and `..` segments.
 * Returns "" for the bundle root itself (`./`).
 */
function safeRelative(name: string): string {
  if (name.includes("\0")) throw reject(`Entry name ${JSON.stringify(name)} contains a NUL byte.`);
  if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name) || name.startsWith("\\")) {
    throw reject(`Entry ${JSON.stringify(name)} has an absolute path. Fix: bundle paths relative to the environment folder.`);
  }
  const parts = name.split(/[\\/]+/).filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw reject(`Entry ${JSON.stringify(name)} contains "..". Fix: bundle only files inside the environment folder.`);
  return parts.join("/");
}

/**
 * Resolves a symlink target written inside the bundle. The walk refuses to leave the bundle root
 * and refuses to pass through another symlink of the bundle, because the kernel resolves `..`
 * after a symlink physically, which a lexical check cannot see.
 */
function symlinkStaysInside(entry: string, target: string, symlinks: Set<string>): boolean {
  if (target.startsWith("/") || target.includes("\0")) return false;
  const stack = entry.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length === 0) return false;
      stack.pop();
    } else {
      stack.push(part);
    }
    if (symlinks.has(stack.join("/"))) return false;
  }
  return true;
}

/** Counts bytes as they pass and fails the stream once the limit is crossed, so nothing past it is buffered. */
function sizeGuard(limit: number, onChunk: (chunk: Buffer) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) {
        cb(new ApiError(413, "bundle_too_large", `Bundle is larger than the limit of ${limit} bytes. Fix: leave data sets and build outputs out of the environment folder.`, "body"));
        return;
      }
      onChunk(chunk);
      cb(null, chunk);
    },
  });
}

/**
 * Streams a tar.gz environment bundle through the size limit, checks every entry, and stores the
 * files under `<envsDir>/<sha256 of the upload>/`. Nothing reaches the final folder unless the
 * whole bundle passed: extraction happens in a scratch folder that is renamed at the end.
 */
export async function storeBundle(body: Readable, envsDir: string, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): Promise<StoredBundle> {
  fs.mkdirSync(envsDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(envsDir, ".upload-"));
  const hash = crypto.createHash("sha256");
  let compressed = 0;
  let extracted = 0;
  let entries = 0;
  let files = 0;
  const symlinks = new Set<string>();
  const regular = new Set<string>();
  const extract = tar.extract();

  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      entries += 1;
      if (entries > limits.maxEntries) throw reject(`Bundle has more than ${limits.maxEntries} entries. Fix: leave node_modules and data out of the bundle.`);
      const rel = safeRelative(h.name);
      const parts = rel.split("/");
      for (let i = 1; i < parts.length; i++) {
        if (symlinks.has(parts.slice(0, i).join("/"))) throw reject(`Entry ${JSON.stringify(h.name)} goes through a symlink of the bundle; that could write outside it.`);
      }
      const dest = path.join(scratch, rel);
      const type = h.type ?? "file";
      switch (type) {
        case "directory":
          if (rel) fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
          entry.resume();
          break;
        case "file":
        case "contiguous-file": {
          if (!rel) throw reject("A file entry has an empty name.");
          if (regular.has(rel)) throw reject(`Entry ${JSON.stringify(h.name)} appears twice in the bundle.`);
          fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
          const guard = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              extracted += chunk.length;
              if (extracted > limits.maxExtractedBytes) {
                cb(new ApiError(413, "bundle_too_large", `Bundle unpacks to more than ${limits.maxExtractedBytes} bytes. Fix: leave large data out of the environment folder.`, "body"));
                return;
              }
              cb(null, chunk);
            },
          });
          // Only permission bits survive; setuid/setgid/sticky are dropped.
          await pipeline(entry, guard, fs.createWriteStream(dest, { flags: "wx", mode: (h.mode ?? 0o644) & 0o755 }));
          regular.add(rel);
          files += 1;
          break;
        }
        case "symlink": {
          const target = h.linkname ?? "";
          if (!target || !symlinkStaysInside(rel, target, symlinks)) {
            throw reject(`Symlink ${JSON.stringify(h.name)} -> ${JSON.stringify(target)} points outside the bundle. Fix: copy the file into the environment folder instead of linking to it.`);
          }
          fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
          fs.symlinkSync(target, dest);
          symlinks.add(rel);
          entry.resume();
          break;
        }
        case "link": {
          const target = safeRelativeLink(h.linkname ?? "", h.name);
          if (!regular.has(target)) {
            throw reject(`Hard link ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)} does not point at a file earlier in the bundle.`);
          }
          // Copy rather than link: the stored bundle never shares an inode with anything.
          fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
          fs.copyFileSync(path.join(scratch, target), dest, fs.constants.COPYFILE_EXCL);
          regular.add(rel);
          files += 1;
          entry.resume();
          break;
        }
        default:
          throw reject(`Entry ${JSON.stringify(h.name)} is a ${type}; bundles may hold only files, folders and links inside the bundle.`);
      }
    }
  })();

  try {
    const feed = pipeline(
      body,
      sizeGuard(limits.maxCompressedBytes, (chunk) => {
        compressed += chunk.length;
        hash.update(chunk);
      }),
      zlib.createGunzip(),
      extract,
    );
    // Wait for both halves; the entry checker's error explains more than the pipe's "premature close".
    const [fed, consumed] = await Promise.allSettled([feed, consume]);
    if (consumed.status === "rejected" && consumed.reason instanceof ApiError) throw consumed.reason;
    if (fed.status === "rejected") throw fed.reason;
    if (consumed.status === "rejected") throw consumed.reason;
    if (files === 0) throw reject("Bundle holds no files. Fix: bundle the environment folder (env.ts, rewards, tasks).");
    confineLinks(scratch, symlinks);
  } catch (err) {
    // Stop both halves so neither keeps reading after the first failure.
    extract.destroy();
    body.resume();
    fs.rmSync(scratch, { recursive: true, force: true });
    throw toBundleError(err);
  }

  const sha256 = hash.digest("hex");
  const dir = path.join(envsDir, sha256);
  let created = true;
  try {
    fs.renameSync(scratch, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    // Same content uploaded before: content addressing makes the copies identical.
    fs.rmSync(scratch, { recursive: true, force: true });
    created = false;
  }
  return { sha256, dir, bytes: compressed, files, created };
}

/**
 * Every link of the unpacked bundle, resolved as the system resolves it (realpath), must land
 * inside the bundle. The per-entry check above cannot see links that later entries create (a
 * chain through `x -> .` links escapes whatever the order); this one runs once all are there.
 * The error names the link only, never what it points at or contains.
 */
function confineLinks(root: string, links: Set<string>): void {
  const realRoot = fs.realpathSync.native(root);
  for (const rel of links) {
    let real: string;
    try {
      real = fs.realpathSync.native(path.join(root, rel));
    } catch {
      throw reject(`Symlink ${JSON.stringify(rel)} leads nowhere inside the bundle (dangling, or a loop). Fix: copy the file into the environment folder instead of linking to it.`);
    }
    if (!within(realRoot, real)) {
      throw reject(`Symlink ${JSON.stringify(rel)} resolves outside the bundle once its links are followed. Fix: copy the file into the environment folder instead of linking to it.`);
    }
  }
}

function safeRelativeLink(linkname: string, entryName: string): string {
  if (!linkname) throw reject(`Hard link ${JSON.stringify(entryName)} has no target.`);
  try {
    return safeRelative(linkname);
  } catch {
    throw reject(`Hard link ${JSON.stringify(entryName)} -> ${JSON.stringify(linkname)} points outside the bundle.`);
  }
}

function toBundleError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === "Z_BUF_ERROR" || e.code === "Z_DATA_ERROR" || /unexpected end|incorrect header|invalid/i.test(e.message ?? "")) {
    return reject(`Body is not a complete tar.gz archive (${e.message}). Fix: send the whole gzip-compressed tar of the environment folder.`);
  }
  if (e.code === "EEXIST") return reject(`An entry of the bundle collides with another one (${e.message}).`);
  if (e.code === "ENOTDIR" || e.code === "EISDIR") return reject(`Entries of the bundle conflict: a file and a folder share a path (${e.message}).`);
  return reject(`Bundle could not be unpacked: ${e.message ?? String(err)}`);
}
