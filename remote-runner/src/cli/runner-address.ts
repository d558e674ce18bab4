import fs from "node:fs";
import { homeDir } from "../config/paths.js";
import { tokenFile } from "../api/token.js";

export const DEFAULT_RUNNER_URL = "http://127.0.0.1:7420";

/**
 * The token a CLI command sends: AGENTRL_TOKEN, else the token file of a runner on this machine.
 * Never taken from a command-line flag, where `ps` would show it.
 */
export function resolveClientToken(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.AGENTRL_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = tokenFile(homeDir());
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  throw new Error(`no API token: set AGENTRL_TOKEN to the token \`agentrl serve\` printed (it is in ${file} on the runner machine).`);
}

/** The runner a CLI command talks to: --runner, else AGENTRL_RUNNER, else the local default. */
export function resolveRunnerUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env.AGENTRL_RUNNER ?? DEFAULT_RUNNER_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`runner URL ${JSON.stringify(raw)} is not a URL. Fix: pass --runner http://HOST:7420 (or https:// with TLS).`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`runner URL must be http:// or https://, got ${u.protocol}`);
  return u.origin;
}
