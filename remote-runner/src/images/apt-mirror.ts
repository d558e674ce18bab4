import fs from "node:fs";
import path from "node:path";

/**
 * The Debian mirror the machine's apt already uses (one-line `sources.list` or deb822 `.sources`),
 * so the offline base image comes from where this machine is allowed to fetch. AGENTRL_APT_MIRROR overrides.
 */
export function detectAptMirror(): string {
  if (process.env.AGENTRL_APT_MIRROR) return process.env.AGENTRL_APT_MIRROR;
  const files: string[] = [];
  if (fs.existsSync("/etc/apt/sources.list")) files.push("/etc/apt/sources.list");
  if (fs.existsSync("/etc/apt/sources.list.d")) {
    for (const f of fs.readdirSync("/etc/apt/sources.list.d").sort()) files.push(path.join("/etc/apt/sources.list.d", f));
  }
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    for (const line of text.split("\n")) {
      const oneLine = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (oneLine && !/security/.test(oneLine[1] ?? "") && !/security|updates|backports/.test(oneLine[2] ?? "")) return oneLine[1] as string;
      const uris = /^\s*URIs:\s*(\S+)/i.exec(line);
      if (uris && !/security/.test(uris[1] ?? "")) return uris[1] as string;
    }
  }
  return "http://deb.debian.org/debian";
}
