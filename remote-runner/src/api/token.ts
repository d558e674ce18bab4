import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface LoadedToken {
  token: string;
  /** Where the token came from: the environment, the file, or freshly generated into the file. */
  source: "env" | "file" | "generated";
  file: string;
}

/** Path of the token file inside the runner's data folder. */
export function tokenFile(home: string): string {
  return path.join(home, "token");
}

/**
 * The bearer token the API requires. `AGENTRL_TOKEN` wins; otherwise the token stored in
 * `$AGENTRL_HOME/token`; otherwise a new 256-bit token is written there with mode 0600
 * (the caller shows it once). The file is created exclusively so two starting servers never
 * overwrite each other's token.
 */
export function loadOrCreateToken(home: string, env: NodeJS.ProcessEnv = process.env): LoadedToken {
  const file = tokenFile(home);
  const fromEnv = env.AGENTRL_TOKEN?.trim();
  if (fromEnv) {
    if (fromEnv.length < 16) throw new Error("AGENTRL_TOKEN is shorter than 16 characters. Fix: use a long random value, e.g. `openssl rand -hex 32`.");
    return { token: fromEnv, source: "env", file };
  }
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    // A token readable by others is no secret; tighten it rather than refuse to start.
    if (mode & 0o077) fs.chmodSync(file, 0o600);
    const token = fs.readFileSync(file, "utf8").trim();
    if (token.length < 16) throw new Error(`${file} holds no usable token. Fix: delete it and restart to generate a new one, or set AGENTRL_TOKEN.`);
    return { token, source: "file", file };
  }
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const token = crypto.randomBytes(32).toString("base64url");
  try {
    fs.writeFileSync(file, token + "\n", { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return loadOrCreateToken(home, env);
    throw err;
  }
  fs.chmodSync(file, 0o600); // the umask may have narrowed nothing but be explicit anyway
  return { token, source: "generated", file };
}

/** Compares a presented token with the real one in constant time (hashing first hides the length too). */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = crypto.createHash("sha256").update(presented, "utf8").digest();
  const b = crypto.createHash("sha256").update(expected, "utf8").digest();
  return crypto.timingSafeEqual(a, b);
}

/** Extracts the token from an `Authorization: Bearer …` header; null when absent or malformed. */
export function bearerFrom(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}
