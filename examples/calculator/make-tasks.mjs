// Writes tasks.jsonl (arithmetic questions with exact answers) and reference.jsonl (the scripted
// reference policy: one calculate call, then the answer). Deterministic: a fixed-seed generator.
// Run: node examples/calculator/make-tasks.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
let seed = 20260101;
const rand = (lo, hi) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return lo + (seed % (hi - lo + 1));
};

const shapes = [
  () => { const a = rand(12, 99), b = rand(12, 99); return `${a} * ${b}`; },
  () => { const a = rand(100, 999), b = rand(100, 999), c = rand(10, 99); return `${a} + ${b} - ${c}`; },
  () => { const a = rand(10, 60), b = rand(10, 60), c = rand(2, 9); return `(${a} + ${b}) * ${c}`; },
  () => { const b = rand(3, 25), q = rand(4, 40); return `${b * q} / ${b}`; },
  () => { const a = rand(2, 12); return `${a} ** 3`; },
  () => { const a = rand(200, 900), b = rand(11, 49), c = rand(2, 9); return `${a} - ${b} * ${c}`; },
  () => { const a = rand(1000, 9999), b = rand(7, 97); return `${a} % ${b}`; },
];

function evaluate(expr) {
  // The expressions above use only integers and + - * / ** % with exact results.
  return Function(`"use strict"; return (${expr});`)();
}

const tasks = [];
const reference = [];
for (let i = 0; i < 60; i++) {
  const expr = shapes[i % shapes.length]();
  const answer = evaluate(expr);
  if (!Number.isInteger(answer)) throw new Error(`non-integer answer for ${expr}`);
  const id = `calc-${String(i + 1).padStart(3, "0")}`;
  tasks.push({
    id,
    prompt: `What is ${expr}? Use the calculate tool, then give the final number inside <answer></answer> tags.`,
    answer: String(answer),
    metadata: { expression: expr, optimalToolCalls: 1 },
  });
  reference.push({
    task_id: id,
    turns: [
      { content: "", tool_calls: [{ name: "calculate", arguments: { expression: expr } }] },
      { content: `The result is <answer>${answer}</answer>` },
    ],
  });
}
fs.writeFileSync(path.join(dir, "tasks.jsonl"), tasks.map((t) => JSON.stringify(t)).join("\n") + "\n");
fs.writeFileSync(path.join(dir, "reference.jsonl"), reference.map((t) => JSON.stringify(t)).join("\n") + "\n");
console.log(`wrote ${tasks.length} tasks and the reference script to ${dir}`);
