// The official openai npm client (version pinned in package.json) against a running
// `greason serve`: models, completions, chat, streaming (with include_usage and the client's
// own stream helper), n > 1 with seeds, stop strings, logprobs, and malformed requests (4xx).
//
//   GREASON_BASE_URL=http://127.0.0.1:PORT/v1 GREASON_MODEL=tiny node --test tools/openai-check/
//
// `just openai-check` (scripts/openai-check.sh) builds greason, starts the server on a tiny
// random Qwen3 checkpoint and runs this file. Every expectation is about the wire format and
// about consistency (streamed = whole, same seed = same text), not about what a random model says.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";

const baseURL = process.env.GREASON_BASE_URL;
const model = process.env.GREASON_MODEL;
if (!baseURL || !model) throw new Error("set GREASON_BASE_URL and GREASON_MODEL");
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 120_000 });
const root = baseURL.replace(/\/v1\/?$/, "");

before(async () => {
  // Wait for /health (the server may still be loading the model).
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const r = await fetch(root + "/health");
      if (r.status === 200) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${root}/health did not answer 200 within 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

const greedyChat = { model, messages: [{ role: "user", content: "What is 2+2?" }], max_tokens: 12, temperature: 0 };
const greedyComp = { model, prompt: "The capital of France is", max_tokens: 12, temperature: 0 };

test("models: list and retrieve", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
  const m = await client.models.retrieve(model);
  assert.equal(m.id, model);
  assert.equal(m.object, "model");
});

test("completions: text, finish_reason, usage", async () => {
  const r = await client.completions.create(greedyComp);
  assert.equal(r.object, "text_completion");
  assert.equal(r.choices.length, 1);
  assert.equal(typeof r.choices[0].text, "string");
  assert.ok(r.choices[0].text.length > 0, "empty completion");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  // Greedy decoding is deterministic.
  const again = await client.completions.create(greedyComp);
  assert.equal(again.choices[0].text, r.choices[0].text);
});

test("chat: message, finish_reason, usage", async () => {
  const r = await client.chat.completions.create(greedyChat);
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test("chat streaming: role first, content deltas, finish_reason, usage chunk, same text as whole", async () => {
  const whole = await client.chat.completions.create(greedyChat);
  const stream = await client.chat.completions.create({ ...greedyChat, stream: true, stream_options: { include_usage: true } });
  let text = "", first = true, finish = null, usage = null, chunks = 0;
  for await (const c of stream) {
    chunks++;
    assert.equal(c.object, "chat.completion.chunk");
    if (c.choices.length === 0) {
      assert.equal(usage, null, "two usage chunks");
      usage = c.usage;
      continue;
    }
    assert.equal(usage, null, "a chunk after the usage chunk");
    assert.equal(c.usage, null, "usage must be null on content chunks");
    const d = c.choices[0].delta;
    if (first) {
      assert.equal(d.role, "assistant");
      first = false;
    }
    text += d.content ?? "";
    if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
  }
  assert.ok(chunks >= 3, `only ${chunks} chunks`);
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);
});

test("chat streaming through the client's stream helper", async () => {
  const whole = await client.chat.completions.create(greedyChat);
  const runner = client.chat.completions.stream({ ...greedyChat });
  let deltas = "";
  runner.on("content", (delta) => (deltas += delta));
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, whole.choices[0].message.content);
  assert.equal(deltas, whole.choices[0].message.content);
  assert.equal(final.choices[0].finish_reason, whole.choices[0].finish_reason);
});

test("completions streaming: same text as whole, usage chunk", async () => {
  const whole = await client.completions.create(greedyComp);
  const stream = await client.completions.create({ ...greedyComp, stream: true, stream_options: { include_usage: true } });
  let text = "", finish = null, usage = null;
  for await (const c of stream) {
    if (c.choices.length === 0) {
      usage = c.usage;
      continue;
    }
    text += c.choices[0].text;
    if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
  }
  assert.equal(text, whole.choices[0].text);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);
});

test("n > 1 with a seed: n choices, reproducible, streamed choices match", async () => {
  const req = { model, messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8, temperature: 1, n: 3, seed: 7 };
  const a = await client.chat.completions.create(req);
  const b = await client.chat.completions.create(req);
  assert.deepEqual(a.choices.map((c) => c.index), [0, 1, 2]);
  assert.deepEqual(b.choices.map((c) => c.message.content), a.choices.map((c) => c.message.content));
  assert.ok(new Set(a.choices.map((c) => c.message.content)).size > 1, "n=3 gave three equal samples");
  const texts = ["", "", ""];
  for await (const c of await client.chat.completions.create({ ...req, stream: true })) {
    for (const ch of c.choices) texts[ch.index] += ch.delta.content ?? "";
  }
  assert.deepEqual(texts, a.choices.map((c) => c.message.content));
});

test("stop strings: text cut before the stop string, finish_reason stop, streamed too", async () => {
  const whole = await client.completions.create({ ...greedyComp, max_tokens: 16 });
  const chars = [...whole.choices[0].text];
  assert.ok(chars.length >= 8, `greedy text too short: ${JSON.stringify(whole.choices[0].text)}`);
  const stop = chars.slice(5, 8).join("");
  const want = whole.choices[0].text.slice(0, whole.choices[0].text.indexOf(stop));
  const r = await client.completions.create({ ...greedyComp, max_tokens: 16, stop: [stop, "never-there"] });
  assert.equal(r.choices[0].text, want);
  assert.equal(r.choices[0].finish_reason, "stop");
  let text = "";
  for await (const c of await client.completions.create({ ...greedyComp, max_tokens: 16, stop, stream: true })) {
    for (const ch of c.choices) text += ch.text;
  }
  assert.equal(text, want);
});

test("completions logprobs: tokens, token_logprobs, top_logprobs, text_offset", async () => {
  const r = await client.completions.create({ ...greedyComp, logprobs: 2 });
  const lp = r.choices[0].logprobs;
  const n = r.usage.completion_tokens;
  assert.equal(lp.tokens.length, n);
  assert.equal(lp.token_logprobs.length, n);
  assert.equal(lp.top_logprobs.length, n);
  assert.equal(lp.text_offset.length, n);
  assert.equal(lp.tokens.join(""), r.choices[0].text);
  let off = 0;
  lp.tokens.forEach((t, i) => {
    assert.ok(lp.token_logprobs[i] <= 0);
    assert.equal(lp.text_offset[i], off);
    off += [...t].length;
    const top = Object.entries(lp.top_logprobs[i]);
    assert.equal(top.length, 2); // greedy: the sampled token is among the 2 most likely
    assert.equal(top[0][0], t, "greedy token is not the most likely one");
    assert.equal(top[0][1], lp.token_logprobs[i]);
    assert.ok(top[0][1] >= top[1][1]);
  });
});

test("chat logprobs: content entries with token, logprob, bytes, top_logprobs", async () => {
  const r = await client.chat.completions.create({ ...greedyChat, logprobs: true, top_logprobs: 3 });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  const bytes = [];
  for (const e of content) {
    assert.equal(typeof e.token, "string");
    assert.ok(e.logprob <= 0);
    bytes.push(...e.bytes);
    assert.equal(e.top_logprobs.length, 3);
    assert.equal(e.top_logprobs[0].logprob, e.logprob);
    assert.equal(e.top_logprobs[0].token, e.token);
  }
  assert.equal(Buffer.from(bytes).toString("utf8"), r.choices[0].message.content);
  // Streamed logprobs join to the same entries.
  const streamed = [];
  for await (const c of await client.chat.completions.create({ ...greedyChat, logprobs: true, top_logprobs: 3, stream: true })) {
    for (const ch of c.choices) if (ch.logprobs) streamed.push(...ch.logprobs.content);
  }
  assert.deepEqual(streamed, content);
});

test("malformed requests are 4xx errors with a message", async () => {
  const cases = [
    [() => client.chat.completions.create({ model, messages: [] }), 400, /messages/],
    [() => client.chat.completions.create({ ...greedyChat, model: "no-such-model" }), 404, /no-such-model/],
    [() => client.chat.completions.create({ ...greedyChat, max_tokens: 1_000_000 }), 400, /context length/],
    [() => client.chat.completions.create({ ...greedyChat, max_tokens: -5 }), 400, /max_tokens/],
    [() => client.chat.completions.create({ ...greedyChat, tools: [{ type: "function", function: { name: "f" } }] }), 400, /tools/],
    [() => client.chat.completions.create({ ...greedyChat, response_format: { type: "json_object" } }), 400, /response_format/],
    [() => client.chat.completions.create({ ...greedyChat, temperature: -1 }), 400, /temperature/],
    [() => client.completions.create({ ...greedyComp, logprobs: 99 }), 400, /logprobs/],
    [() => client.completions.create({ ...greedyComp, stream: true, max_tokens: 0 }), 400, /max_tokens/],
  ];
  for (const [call, status, re] of cases) {
    await assert.rejects(call, (err) => {
      assert.ok(err instanceof OpenAI.APIError, `not an APIError: ${err}`);
      assert.equal(err.status, status, err.message);
      assert.match(err.message, re);
      return true;
    });
  }
  const r = await fetch(baseURL + "/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error.message, /JSON/);
});

test("a client that aborts a stream does not break the server", async () => {
  const ctrl = new AbortController();
  const stream = await client.completions.create({ ...greedyComp, max_tokens: 2000, stream: true }, { signal: ctrl.signal });
  let n = 0;
  try {
    for await (const _ of stream) if (++n === 3) ctrl.abort(); // the client ends the iteration on abort
  } catch (err) {
    assert.ok(err instanceof OpenAI.APIUserAbortError || err.name === "AbortError", `${err}`);
  }
  assert.equal(n, 3);
  const r = await client.completions.create(greedyComp);
  assert.ok(r.choices[0].text.length > 0);
  assert.equal((await fetch(root + "/health")).status, 200);
});
