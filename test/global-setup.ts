// Runs once before the suite: the Docker engine must be reachable (scripts/test.sh starts it).
import { connectDocker } from "../remote-runner/src/docker/engine.js";

export default async function setup(): Promise<void> {
  await connectDocker();
}
