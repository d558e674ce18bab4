import fs from "node:fs";
import path from "node:path";
import { cacheDir } from "../config/paths.js";
import { runnerFolder } from "../config/runner-files.js";

/** The trainer's Python: the venv `scripts/setup-python.sh` makes, or AGENTRL_PYTHON. */
export function trainerPython(): string {
  if (process.env.AGENTRL_PYTHON) return process.env.AGENTRL_PYTHON;
  const py = path.join(cacheDir(), "venv", "bin", "python");
  if (!fs.existsSync(py)) {
    throw new Error(`the trainer's Python environment is missing (${py}). Fix: run \`bash scripts/setup-python.sh\` (or \`bash scripts/setup.sh --python\`), or set AGENTRL_PYTHON to a python with agentrl_trainer installed`);
  }
  return py;
}

/**
 * The environment for the trainer's Python: this checkout's agentrl_trainer first on the path. The
 * venv is shared (it lives in the cache), and its editable install points at whichever checkout
 * ran setup last, which may be older than this one or gone.
 */
export function trainerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const src = runnerFolder("trainer", "agentrl_trainer/__init__.py", "the trainer's Python sources");
  return { ...base, PYTHONPATH: [src, base.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONUNBUFFERED: "1" };
}
