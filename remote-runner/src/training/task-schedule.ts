import { mulberry32 } from "../util/random.js";

/**
 * The task ids of each training step: a seeded shuffle of the dataset walked in order, reshuffled
 * after every pass (epoch), so every task is seen equally often.
 */
export function taskSchedule(taskIds: string[], perStep: number, steps: number, seed: number, startStep = 0): string[][] {
  if (taskIds.length === 0) throw new Error("the environment has no tasks to train on");
  const rand = mulberry32(seed);
  const order: string[] = [];
  const need = (startStep + steps) * perStep;
  while (order.length < need) {
    const pass = [...taskIds];
    for (let i = pass.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [pass[i], pass[j]] = [pass[j] as string, pass[i] as string];
    }
    order.push(...pass);
  }
  return Array.from({ length: steps }, (_, k) => order.slice((startStep + k) * perStep, (startStep + k + 1) * perStep));
}

/** Mean over the first and last 20% of steps (at least one step each). */
export function firstLastMeans(values: number[]): { first: number; last: number } {
  const k = Math.max(1, Math.round(values.length * 0.2));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
  return { first: mean(values.slice(0, k)), last: mean(values.slice(-k)) };
}
