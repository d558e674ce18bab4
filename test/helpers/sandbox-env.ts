import { ensureBaseImage } from "../../remote-runner/src/images/base.js";
import { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";

/** The real Docker provider and the offline base image, shared by the sandbox tests. */
export async function sandboxEnv(): Promise<{ provider: DockerSandboxProvider; image: string }> {
  const image = await ensureBaseImage();
  const provider = await DockerSandboxProvider.connect();
  return { provider, image };
}
