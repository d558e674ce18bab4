// Writes tasks.jsonl and reference.jsonl (look the vault up, answer its code): 40 vaults with random 4-digit codes (fixed seed). Each task's sandbox holds a
// codes file with its vault and two others, so only the lookup tool can tell the model the code.
import fs from "node:fs";

const NAMES = ["ruby", "amber", "cedar", "delta", "ember", "frost", "grove", "harbor", "iris", "jade", "kite", "lotus", "maple", "noble", "ocean", "pearl", "quartz", "raven", "sage", "tiger", "umber", "violet", "willow", "xenon", "yarrow", "zephyr", "aspen", "birch", "coral", "dune", "echo", "fern", "gale", "hazel", "indigo", "juniper", "koala", "lemon", "mint", "nova"];
let seed = 20261127;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const code = () => String(1000 + Math.floor(rand() * 9000));
const codes = Object.fromEntries(NAMES.map((n) => [n, code()]));
const lines = NAMES.map((name, i) => {
  const others = [NAMES[(i + 7) % NAMES.length], NAMES[(i + 19) % NAMES.length]];
  const table = Object.fromEntries([name, ...others].map((n) => [n, codes[n]]));
  return JSON.stringify({ id: `vault-${String(i + 1).padStart(3, "0")}`, prompt: `What is the code of the ${name} vault?`, vault: name, answer: codes[name], files: { "codes.json": JSON.stringify(table) } });
});
fs.writeFileSync(new URL("./tasks.jsonl", import.meta.url), lines.join("\n") + "\n");
const reference = NAMES.map((name, i) =>
  JSON.stringify({ task_id: `vault-${String(i + 1).padStart(3, "0")}`, turns: [{ content: "", tool_calls: [{ name: "lookup", arguments: { vault: name } }] }, { content: `<answer>${codes[name]}</answer>` }] }),
);
fs.writeFileSync(new URL("./reference.jsonl", import.meta.url), reference.join("\n") + "\n");
