import type { PolicyConfig } from "@agentrl/protocol";

/** The run's policy from the `agentrl.policy`/`agentrl.model` settings (noop, scripted:FILE in the env folder, or a URL). */
export function policyConfig(spec: string, model?: string): PolicyConfig {
  return model ? { spec, model } : { spec };
}
