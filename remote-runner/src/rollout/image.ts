import { ensureBaseImage } from "../images/base.js";
import { ensureEnvImage } from "../images/build.js";
import type { LoadedEnvironment } from "../envs/load.js";

/** The sandbox image of an environment: its declared tag, else its Dockerfile's image, else the offline base. */
export async function resolveEnvImage(env: LoadedEnvironment, log?: (line: string) => void): Promise<string> {
  if (env.def.image) return env.def.image;
  if (env.dockerfile) return ensureEnvImage(env.dir, { progress: log });
  return ensureBaseImage({ progress: log });
}
