import { DockerSandboxProvider } from "../sandbox/docker-provider.js";
import { LABEL_RUN } from "../sandbox/labels.js";

/** Removes every container labelled with this run (what a crashed runner left behind), before the run resumes. */
export async function removeRunContainers(runId: string): Promise<number> {
  const provider = await DockerSandboxProvider.connect();
  return provider.removeByLabels({ [LABEL_RUN]: runId });
}
