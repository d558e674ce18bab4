import fs from "node:fs";
import path from "node:path";
import { cacheDir } from "../config/paths.js";

/** The trainer's Python: the venv `scripts/setup-python.sh` makes, or AGENTRL_PYTHON. */
export function trainerPython(): string {
  if (process.env.AGENTRL_PYTHON) return process.env.AGENTRL_PYTHON;
  const py = path.join(cacheDir(), "venv", "bin", "python");
  if (!fs.existsSync(py)) {
    throw new Error(`the trainer's Python environment is missing (${py}). Fix: run \`bash scripts/setup-python.sh\` (or \`bash scripts/setup.sh --python\`), or set AGENTRL_PYTHON to a python with agentrl_trainer installed`);
  }
  return py;
}
