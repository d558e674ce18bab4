import { Task, EnvironmentInfo, Trajectory } from "@agentrl/protocol";

/** JSON Schemas for editor IntelliSense (tasks.jsonl lines, environment info, stored trajectories). */
export const taskJsonSchema: Record<string, unknown> = JSON.parse(JSON.stringify(Task));
export const environmentJsonSchema: Record<string, unknown> = JSON.parse(JSON.stringify(EnvironmentInfo));
export const trajectoryJsonSchema: Record<string, unknown> = JSON.parse(JSON.stringify(Trajectory));
