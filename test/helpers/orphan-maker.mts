// A stand-in for a runner that crashes: creates sandboxes, prints their ids, then waits to be killed.
import { ensureBaseImage } from "../../remote-runner/src/images/base.js";
import { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";

const provider = await DockerSandboxProvider.connect();
const image = await ensureBaseImage();
const count = Number(process.argv[2] ?? "2");
for (let i = 0; i < count; i++) {
  const sb = await provider.create({ image, labels: { "agentrl.test": "orphan" } });
  process.stdout.write(`${sb.id}\n`);
}
process.stdout.write("READY\n");
setInterval(() => {}, 1 << 30);
