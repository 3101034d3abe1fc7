// Golden chat-template renderings for greason's model/chat, from @huggingface/jinja (the Jinja
// engine of transformers.js, made for Hugging Face chat templates; version pinned in
// package.json / package-lock.json).
//
//   node tools/chatgold/gold.mjs        (run by `just chat-golden`, from the repository root)
//
// Reads the checkpoints' own chat templates from model/chat/testdata/templates/*.jinja (sources in
// NOTICE.md) and writes model/chat/testdata/golden.json:
//   {"generator": ..., "templates": {name: sha256}, "special": {...},
//    "cases": [{template, name, add_generation_prompt, enable_thinking (true/false/null = not
//               passed), messages, text}],
//    "engine": [{name, template, context, text | error}]}
// "cases" are the conversations greason renders (the paper's prompt with and without a system turn,
// multi-turn, unicode, braces and backslashes, ...), every one under each template with and without
// the generation prompt and with enable_thinking unset, true and false. "engine" are small
// templates of our own that exercise the Jinja features Hugging Face templates use (trim_blocks /
// lstrip_blocks, loop controls, namespace, slices, string methods, tojson, is defined,
// raise_exception, ...), rendered with arbitrary contexts.
//
// The render context is the one transformers' apply_chat_template builds: messages, tools=None,
// documents=None, add_generation_prompt, the tokenizer's special tokens (those that are set), and
// the caller's template kwargs (enable_thinking only when given).
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const testdata = path.join(root, "model/chat/testdata");
const version = JSON.parse(fs.readFileSync(path.join(here, "node_modules/@huggingface/jinja/package.json"), "utf8")).version;

// The special tokens of Qwen's tokenizer_config.json that are set (bos_token and unk_token are
// null there, so transformers does not pass them).
const special = { eos_token: "<|im_end|>", pad_token: "<|endoftext|>" };

const templates = {};
for (const f of fs.readdirSync(path.join(testdata, "templates")).sort()) {
  if (f.endsWith(".jinja")) templates[f.slice(0, -".jinja".length)] = fs.readFileSync(path.join(testdata, "templates", f), "utf8");
}
for (const want of ["qwen3", "qwen2.5", "qwen2.5-math"]) {
  if (!(want in templates)) throw new Error(`model/chat/testdata/templates/${want}.jinja is missing`);
}

// The paper's training prompt (protocol §3.1): the question, one space, the instruction.
const SUFFIX = " Please reason step by step, and put your final answer within \\boxed{}.";
const paper = (q) => q + SUFFIX;

const conversations = {
  paper_user: [{ role: "user", content: paper("What is the sum of the roots of $x^2 - 5x + 6 = 0$?") }],
  paper_system: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: paper("A train travels 120 km in 1.5 hours. What is its average speed in km/h?") },
  ],
  paper_unicode: [{ role: "user", content: paper("Сколько будет 2+2? 数学の問題 🌍 e\u0301 naïve — «quotes» 'single' \"double\"") }],
  paper_braces: [
    {
      role: "user",
      content: paper("Simplify \\frac{a}{b} + \\left\\{ x \\right\\}, with {{ messages }} and {% if %} and {# c #} as text, \\\\ and \\n and \\u00e9."),
    },
  ],
  whitespace: [{ role: "user", content: "  leading\n\n\tmiddle\r\n trailing  \n" }],
  empty_user: [{ role: "user", content: "" }],
  multi_turn: [
    { role: "system", content: "Be brief." },
    { role: "user", content: paper("What is 2+3?") },
    { role: "assistant", content: "<think>\nAdd them.\n</think>\n\nThe answer is \\boxed{5}." },
    { role: "user", content: "And 2*3?" },
    { role: "assistant", content: "\\boxed{6}" },
  ],
  multi_turn_no_system: [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello! How can I help?" },
    { role: "user", content: paper("Is 91 prime?") },
  ],
  last_assistant_think: [
    { role: "user", content: "Q" },
    { role: "assistant", content: "<think>\nreason\n\n</think>\n\n\nanswer" },
  ],
  reasoning_content: [
    { role: "user", content: "Q1" },
    { role: "assistant", content: "A1", reasoning_content: "R1" },
    { role: "user", content: "Q2" },
    { role: "assistant", content: "A2", reasoning_content: "\nR2\n" },
  ],
  tool_turns: [
    { role: "user", content: "Weather?" },
    { role: "assistant", content: "Let me check." },
    { role: "tool", content: "sunny" },
    { role: "tool", content: "22C" },
    { role: "assistant", content: "Sunny, 22C." },
  ],
  tool_response_as_user: [
    { role: "user", content: "Q" },
    { role: "assistant", content: "<think>\nr\n</think>\n\ncall" },
    { role: "user", content: "<tool_response>\n42\n</tool_response>" },
    { role: "assistant", content: "<think>\nr2\n</think>\n\nIt is 42." },
  ],
  system_later: [
    { role: "user", content: "Q" },
    { role: "system", content: "S" },
    { role: "assistant", content: "A" },
  ],
  system_only: [{ role: "system", content: "Only a system turn." }],
};

const cases = [];
for (const [tname, src] of Object.entries(templates)) {
  const tpl = new Template(src);
  for (const [name, messages] of Object.entries(conversations)) {
    for (const add_generation_prompt of [false, true]) {
      for (const enable_thinking of [null, true, false]) {
        const ctx = { messages, tools: null, documents: null, add_generation_prompt, ...special };
        if (enable_thinking !== null) ctx.enable_thinking = enable_thinking;
        cases.push({ template: tname, name, add_generation_prompt, enable_thinking, messages, text: tpl.render(ctx) });
      }
    }
  }
}

// Engine features, each a small template of ours with its context.
const engine = [
  ["trim_lstrip_blocks", "<a>\n  {% if x %}\n    yes\n  {% endif %}\n  {# c #}\n<b>\n", { x: true }],
  ["trailing_newline_dropped", "{{ x }}\n", { x: 1 }],
  ["dash_trim", "a  {{- x -}}  b {%- if true %} c {% endif -%}  d", { x: "X" }],
  ["block_tags_midline", "x {% if true %}y{% endif %} z\n  w {% for i in [1] %}{{ i }}{% endfor %}\n", {}],
  ["loop_vars", "{% for i in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.length }}/{{ 'F' if loop.first else '-' }}{{ 'L' if loop.last else '-' }};{% endfor %}", { xs: ["a", "b", "c"] }],
  ["loop_prev_next", "{% for x in xs %}[{{ loop.previtem if not loop.first else '-' }}<{{ x }}>{{ loop.nextitem if not loop.last else '-' }}]{% endfor %}", { xs: [1, 2, 3] }],
  ["loop_break_continue", "{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", { xs: [1, 2, 3, 4, 5] }],
  ["loop_filter_else", "{% for x in xs if x > 1 %}{{ x }}{% else %}none{% endfor %}|{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", { xs: [1, 2, 3] }],
  ["loop_dict_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}", { d: { b: 1, a: 2 } }],
  ["loop_nested", "{% for x in xs %}{% for y in ys %}{{ loop.index }}{{ x }}{{ y }} {% endfor %}{{ loop.index }}|{% endfor %}", { xs: ["a", "b"], ys: [1, 2] }],
  ["namespace", "{% set ns = namespace(n=0, s='', found=false) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% set ns.s = ns.s ~ x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.n }} {{ ns.s }} {{ 'found' if ns.found else 'no' }}", { xs: [1, 2, 3] }],
  ["set_scoping", "{% set y = 1 %}{% for x in xs %}{% set y = x %}{% endfor %}{{ y }}{% if true %}{% set z = 5 %}{% endif %}{{ z }}", { xs: [5, 6] }],
  ["slices", "{{ xs[::-1] | join(',') }} {{ xs[1:] | join(',') }} {{ xs[:-1] | join(',') }} {{ xs[::2] | join(',') }} {{ s[::-1] }} {{ s[1:3] }} {{ xs[-1] }} {{ (xs[::-1] | first) }}", { xs: [1, 2, 3, 4], s: "hello" }],
  ["reverse_loop_index", "{% for m in ms[::-1] %}{% set i = (ms | length - 1) - loop.index0 %}{{ i }}:{{ m }} {% endfor %}", { ms: ["a", "b", "c"] }],
  ["string_methods", "{{ 'y' if s.startswith('<t>') else 'n' }}{{ 'y' if s.endswith('</t>') else 'n' }} {{ s.split('|') | join(';') }} {{ s.split('|')[-1] }} {{ s.split('|')[0] }} [{{ w.strip() }}] [{{ w.lstrip() }}] [{{ w.rstrip() }}] [{{ n.strip('\\n') }}] [{{ n.lstrip('\\n') }}] [{{ n.rstrip('\\n') }}] {{ s.upper() }} {{ s.lower() }} {{ s.replace('|', '/') }} {{ s.title() }}", { s: "<t>A|b|C</t>", w: " \t x y \n", n: "\n\nx\n" }],
  ["string_split_none", "{{ s.split() | join(';') }}|{{ s.split(' ') | join(';') }}", { s: "  a b  c " }],
  ["think_split", "{% set c = m.split('</think>')[-1].lstrip('\\n') %}{% set r = m.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}[{{ r }}][{{ c }}]", { m: "<think>\n\nreason\n\n</think>\n\nanswer\n" }],
  ["tests", "{{ 'y' if x is defined else 'n' }}{{ 'y' if y is defined else 'n' }}{{ 'y' if y is undefined else 'n' }}{{ 'y' if z is none else 'n' }}{{ 'y' if x is string else 'n' }}{{ 'y' if n is number else 'n' }}{{ 'y' if n is integer else 'n' }}{{ 'y' if xs is iterable else 'n' }}{{ 'y' if d is mapping else 'n' }}{{ 'y' if b is boolean else 'n' }}{{ 'y' if b is false else 'n' }}{{ 'y' if x is not none else 'n' }}{{ 'y' if xs is sequence else 'n' }}{{ 'y' if d is mapping and x is not mapping else 'n' }}", { x: "s", z: null, n: 3, xs: [1], d: { a: 1 }, b: false }],
  ["undefined_attr", "{{ 'y' if m.missing is defined else 'n' }}[{{ m.missing }}]{% if m.missing %}T{% else %}F{% endif %}{{ 'y' if m.missing is none else 'n' }}{{ 'y' if not m.missing else 'n' }}", { m: { a: 1 } }],
  ["in_operator", "{{ 'y' if 'b' in s else 'n' }}{{ 'y' if 2 in xs else 'n' }}{{ 'y' if 'k' in d else 'n' }}{{ 'y' if 'z' not in s else 'n' }}{{ 'y' if '</think>' in t else 'n' }}", { s: "abc", xs: [1, 2], d: { k: 1 }, t: "a</think>b" }],
  ["tojson", "{{ v | tojson }}|{{ u | tojson }}|{{ s | tojson }}|{{ n | tojson }}|{{ e | tojson }}|{{ l | tojson }}|{{ t | tojson }}", { v: { name: "f", args: { a: [1, 2, { b: null }], t: true } }, u: "é ü 中 🌍", s: "q\"b\\s\n\tc/<>&'", n: [1, -2, 3.5], e: {}, l: [], t: false }],
  ["tojson_indent", "{{ v | tojson(indent=2) }}|{{ v | tojson(indent=4) }}", { v: { a: [1, 2], b: { c: "d" }, e: [] } }],
  ["filters", "{{ xs | length }} {{ s | length }} {{ xs | join(', ') }} {{ s | upper }} [{{ s | trim }}] {{ xs | first }} {{ xs | last }} {{ xs | reverse | join('') }} {{ none | default('dflt') if false else '' }}{{ y | default('dflt2') }} {{ s | lower }} {{ ws | capitalize }}", { xs: [3, 1, 2], s: " Ab ", ws: "hello world" }],
  ["map_select", "{{ ms | map(attribute='role') | join(',') }} {{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }} {{ ms | rejectattr('role', 'equalto', 'user') | list | length }}", { ms: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "user", content: "c" }] }],
  ["arith_concat", "{{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 3 }} {{ 1 + 2 * 3 }} {{ 'a' + 'b' }} {{ 'a' ~ 1 }} {{ 10 / 4 }} {{ -3 }} {{ (1 + 2) * 3 }} {{ 5 - 7 }}", {}],
  ["comparisons_logic", "{{ 'y' if (1 < 2) and (2 <= 2) and (3 != 4) and not (1 > 2) else 'n' }}{{ x or 'alt' }}{{ 'y' if x == '' else 'n' }}{{ y if y else 'n' }}", { x: "", y: 1 }],
  ["macro", "{% macro greet(name, p='Hi') %}{{ p }} {{ name }}{% endmacro %}{{ greet('a') }}/{{ greet('b', p='Yo') }}", {}],
  ["dict_access", "{{ d['a'] }} {{ d.a }} {{ d.get('a') }} {{ d.get('z', 'dz') }} {{ d['n']['m'] }} {{ d | length }} {{ d.n.m }}", { d: { a: 1, n: { m: "deep" } } }],
  ["numbers_render", "[{{ 1.5 }}] [{{ 2.25 * 2 }}] [{{ 7 }}] [{{ n }}] [{{ f }}] [{{ 3 // 2 }}]", { n: 42, f: 0.5 }],
  ["string_escapes", "{{ 'a\\nb' }}|{{ \"t\\tq\" }}|{{ 'it\\'s' }}|{{ \"q\\\"q\" }}|{{ 'back\\\\slash' }}", {}],
  ["comment_and_whitespace", "{#- lead -#}\n  A{# mid #}B\n  {#- tail #}\nC", {}],
  ["if_elif_else", "{% for x in xs %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %},{% endfor %}", { xs: [1, 2, 3] }],
  ["raise_exception", "{% if x %}{{ raise_exception('bad input: ' ~ x) }}{% endif %}ok", { x: "boom" }],
  ["raise_exception_not_hit", "{% if x %}{{ raise_exception('bad') }}{% endif %}ok", { x: false }],
];
const engineOut = engine.map(([name, template, context]) => {
  try {
    return { name, template, context, text: new Template(template).render(context) };
  } catch (e) {
    return { name, template, context, error: String(e.message ?? e) };
  }
});

const sha = (s) => crypto.createHash("sha256").update(s).digest("hex");
const out = {
  generator: `tools/chatgold/gold.mjs with @huggingface/jinja ${version}`,
  templates: Object.fromEntries(Object.entries(templates).map(([k, v]) => [k, sha(v)])),
  special,
  cases,
  engine: engineOut,
};
fs.writeFileSync(path.join(testdata, "golden.json"), JSON.stringify(out, null, 1) + "\n");
console.error(`chat golden: ${cases.length} renderings of ${Object.keys(templates).length} templates, ${engineOut.length} engine cases (${engineOut.filter((e) => e.error).length} errors)`);
