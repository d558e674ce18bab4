// A local server that speaks the OpenAI chat-completions protocol (the only fake allowed: it stands
// in for a hosted LLM API). Each test decides per request what the "model" answers.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface WireRequest {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string; parameters: unknown } }[];
  stream?: boolean;
  return_token_ids?: boolean;
  prefix_token_ids?: number[];
  logprobs?: boolean;
}

export type Reply =
  | { kind: "message"; content?: string; toolCalls?: { name: string; arguments: string }[] }
  | { kind: "status"; status: number; body?: string }
  | { kind: "hang" }
  | { kind: "raw"; body: string };

export interface FakeServer {
  url: string;
  requests: WireRequest[];
  close(): Promise<void>;
}

/** Deterministic fake token ids: one per character, so tests can check what was recorded. */
function tokenize(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0) % 1000);
}

export async function startFakeOpenAI(decide: (req: WireRequest, index: number) => Reply): Promise<FakeServer> {
  const requests: WireRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "fake-model", object: "model" }] }));
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as WireRequest;
      const index = requests.push(body) - 1;
      const reply = decide(body, index);
      if (reply.kind === "hang") {
        hanging.add(res);
        return;
      }
      if (reply.kind === "status") {
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(reply.body ?? JSON.stringify({ error: { message: `fake ${reply.status}` } }));
        return;
      }
      if (reply.kind === "raw") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(reply.body);
        return;
      }
      const content = reply.content ?? "";
      const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({ id: `call_fake_${index}_${i}`, type: "function", function: c }));
      const completionText = content + toolCalls.map((c) => JSON.stringify(c.function)).join("");
      const promptText = body.messages.map((m) => `${m.role}:${m.content ?? ""}`).join("\n");
      const completionIds = tokenize(completionText);
      const finish = toolCalls.length ? "tool_calls" : "stop";
      if (body.stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (obj: unknown): boolean => res.write(`data: ${JSON.stringify(obj)}\n\n`);
        const base = { id: `cmpl-${index}`, object: "chat.completion.chunk", model: "fake-model" };
        send({ ...base, ...(body.return_token_ids ? { prompt_token_ids: tokenize(promptText) } : {}), choices: [{ index: 0, delta: { role: "assistant" } }] });
        // Content in pieces of 3 characters, tool calls with arguments split in two, as real servers stream them.
        for (let i = 0; i < content.length; i += 3) send({ ...base, choices: [{ index: 0, delta: { content: content.slice(i, i + 3) } }] });
        toolCalls.forEach((c, i) => {
          const half = Math.floor(c.function.arguments.length / 2);
          send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, id: c.id, type: "function", function: { name: c.function.name, arguments: c.function.arguments.slice(0, half) } }] } }] });
          send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: c.function.arguments.slice(half) } }] } }] });
        });
        send({
          ...base,
          choices: [{ index: 0, delta: {}, finish_reason: finish, ...(body.return_token_ids ? { token_ids: completionIds, logprobs: { content: completionIds.map(() => ({ logprob: -0.5 })) } } : {}) }],
        });
        res.write("data: [DONE]\n\n");
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: `cmpl-${index}`,
          object: "chat.completion",
          model: "fake-model",
          ...(body.return_token_ids ? { prompt_token_ids: tokenize(promptText) } : {}),
          choices: [
            {
              index: 0,
              message: { role: "assistant", content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
              finish_reason: finish,
              // Non-streamed answers carry each token's text too, as OpenAI's logprobs do.
              ...(body.return_token_ids ? { token_ids: completionIds, logprobs: { content: completionIds.map((id) => ({ token: `<${id}>`, logprob: -0.25 })) } } : {}),
            },
          ],
          usage: { prompt_tokens: promptText.length, completion_tokens: completionIds.length },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The arithmetic expression of a calculator task prompt ("What is EXPR? ..."). */
export function expressionOf(req: WireRequest): string {
  const user = req.messages.find((m) => m.role === "user")?.content ?? "";
  const m = /What is (.+?)\? Use/.exec(user);
  if (!m?.[1]) throw new Error(`no calculator question in ${JSON.stringify(user)}`);
  return m[1];
}

/** The last tool result the model was shown (native `tool` message or a Hermes `<tool_response>`). */
export function lastToolResult(req: WireRequest): string | null {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (!m) continue;
    if (m.role === "tool") return m.content ?? "";
    const tr = /<tool_response>\n([\s\S]*?)\n<\/tool_response>/.exec(m.content ?? "");
    if (m.role === "user" && tr) return tr[1] ?? "";
    if (m.role === "user") return null;
  }
  return null;
}
