import type { EnvironmentDefinition } from "@agentrl/sdk";

/**
 * A function of the environment bundle as the runner sees it: a marker naming where it is in the
 * definition (`tools[0].run`). Bundle code runs only in the env host's process (envs/host.ts).
 */
export interface BundleFunction {
  readonly $bundleFunction: string;
}

/** A value of the bundle's definition as data: every function replaced by its BundleFunction marker. */
export type Described<T> = T extends (...args: never[]) => unknown ? BundleFunction : T extends readonly (infer U)[] ? Described<U>[] : T extends object ? { [K in keyof T]: Described<T[K]> } : T;

/**
 * An environment definition as the runner holds it: what the env host's process described (names,
 * tool schemas, rewards, limits, kind options), with markers where the bundle has functions.
 */
export type EnvDescription = Described<EnvironmentDefinition>;

export function isBundleFunction(v: unknown): v is BundleFunction {
  return typeof v === "object" && v !== null && typeof (v as { $bundleFunction?: unknown }).$bundleFunction === "string";
}
