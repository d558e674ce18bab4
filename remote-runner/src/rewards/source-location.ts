import fs from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import path from "node:path";

/** Where in the env's own sources a reward threw (1-based line and column, file relative to the env folder). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

const maps = new Map<string, SourceMap | null>();

function mapOf(bundlePath: string): SourceMap | null {
  if (!maps.has(bundlePath)) {
    let sm: SourceMap | null;
    try {
      sm = new SourceMap(JSON.parse(fs.readFileSync(`${bundlePath}.map`, "utf8")) as SourceMapPayload);
    } catch {
      sm = null; // bundles built before source maps existed: no location, the message still stands
    }
    if (maps.size >= 64) maps.delete(maps.keys().next().value as string);
    maps.set(bundlePath, sm);
  }
  return maps.get(bundlePath) ?? null;
}

/**
 * Maps an error stack from the env bundle back to the env's sources (compileEnv writes the bundle's
 * source map beside it): the innermost frame in the env's own files (not the SDK, not
 * node_modules), else the innermost mapped frame. Undefined when no frame is in the bundle.
 */
export function locateInBundle(stack: string, bundlePath: string): SourceLocation | undefined {
  const sm = mapOf(bundlePath);
  if (!sm) return undefined;
  const name = path.basename(bundlePath).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const frame = new RegExp(`${name}:(\\d+):(\\d+)`, "g");
  const found: SourceLocation[] = [];
  for (const m of stack.matchAll(frame)) {
    const entry = sm.findEntry(Number(m[1]) - 1, Number(m[2]) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (entry.originalSource === undefined || entry.originalLine === undefined) continue;
    const file = entry.originalSource.replace(/^file:\/\//, "");
    found.push({ file, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 });
  }
  return found.find((l) => !l.file.startsWith("..") && !path.isAbsolute(l.file) && !l.file.includes("node_modules")) ?? found[0];
}
