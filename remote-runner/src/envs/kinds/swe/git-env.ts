import { simpleGit, type SimpleGit } from "simple-git";

/**
 * The environment git runs with: only what it needs, never the machine's global or system config
 * (which could add hooks, rewrite URLs or change line endings) and none of the variables simple-git
 * refuses as unsafe (EDITOR, GIT_SSH_COMMAND, ...).
 */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL"]) {
    const v = process.env[k];
    if (v !== undefined) keep[k] = v;
  }
  return { ...keep, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_TERMINAL_PROMPT: "0", ...extra };
}

/**
 * simple-git bound to a folder with that environment. GIT_CONFIG_GLOBAL and GIT_TEMPLATE_DIR are set
 * by us to nothing (to shut the machine's config and hooks out), which simple-git must be told is
 * deliberate; every other unsafe option stays blocked.
 */
export function git(baseDir?: string, extra: Record<string, string> = {}): SimpleGit {
  return simpleGit({ ...(baseDir ? { baseDir } : {}), unsafe: { allowUnsafeConfigPaths: true, allowUnsafeTemplateDir: true } }).env(gitEnv(extra));
}
