#!/usr/bin/env python3
"""Second reference for model/chat: Python's Jinja2, the engine transformers' apply_chat_template
runs, set up as transformers sets it up (utils/chat_template_utils.py: ImmutableSandboxedEnvironment
with trim_blocks=True, lstrip_blocks=True and the loopcontrols extension; a tojson filter that is
json.dumps with ensure_ascii=False; raise_exception raising TemplateError; strftime_now).

    python3 tools/chatgold/jinja2_gold.py      (run by `just chat-golden`; needs Jinja2 >= 3.1)

1. Renders every case of model/chat/testdata/golden.json (written by gold.mjs with
   @huggingface/jinja) and reports each one where the two references differ; exit status 1 if any.
2. Writes model/chat/testdata/jinja2_golden.json: Jinja2's renderings of the cases below, where
   @huggingface/jinja departs from Jinja2 (Python reprs of True/None/lists, CRLF template sources,
   raw blocks, ...), so that model/chat follows transformers there too.
"""
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOLDEN = os.path.join(ROOT, "model", "chat", "testdata", "golden.json")
JINJA2_GOLDEN = os.path.join(ROOT, "model", "chat", "testdata", "jinja2_golden.json")

# Cases where @huggingface/jinja and Jinja2 differ (or the JS engine lacks the feature): name,
# template, context.
PYTHON_CASES = [
    ("crlf_source", "a\r\nb {{ x }}\r\n", {"x": 1}),
    ("cr_source", "a\rb\n\n", {}),
    ("crlf_blocks", "{% if true %}\r\nX\r\n{% endif %}\r\nY", {}),
    ("python_reprs", "{{ true }} {{ false }} {{ none }} {{ x }} {{ [1, 'a', none, true] }} {{ {'k': 'v'} }} {{ 10 / 5 }} {{ s.split('|') }}", {"x": None, "s": "a|b"}),
    ("loop_first_repr", "{% for i in [1, 2] %}{{ loop.first }}{{ loop.last }} {% endfor %}", {}),
    ("raw_block", "{% raw %}{{ x }}{% endraw %}", {"x": 1}),
    ("plus_keeps_lstrip", "<a>\n  {%+ if true %}t{% endif %}\n</a>", {}),
    ("float_test", "{{ 'y' if f is float else 'n' }}{{ 'y' if n is float else 'n' }}", {"f": 1.5, "n": 2}),
    ("string_compare", "{{ 'y' if 'a' < 'b' else 'n' }}", {}),
    ("sum_max_min", "{{ xs | sum }} {{ xs | max }} {{ xs | min }}", {"xs": [3, 1, 2]}),
    ("tojson_floats", "{{ v | tojson }}", {"v": [1.0, 2.5, 1e20, -0.0]}),
    ("undefined_chain", "{{ m.a.b }}", {"m": {}}),
    ("undefined_index", "[{{ xs[5] }}]", {"xs": [1]}),
    ("undefined_var_attr", "{{ y.a }}", {}),
    ("undefined_plus", "{{ 'x' + m.missing }}", {"m": {}}),
    ("undefined_method", "{{ m.missing.strip() }}", {"m": {}}),
    ("undefined_length_loop", "{{ y | length }}[{% for x in y %}{{ x }}{% endfor %}]{{ y is defined }}", {}),
    ("none_attr", "[{{ m.a.b }}]", {"m": {"a": None}}),
    ("tojson_sort_keys", "{{ v | tojson(sort_keys=true) }}", {"v": {"b": 1, "a": {"d": 2, "c": 3}}}),
]


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, src, ctx):
    try:
        return env.from_string(src).render(**ctx), None
    except Exception as e:  # noqa: BLE001 - any failure is an error outcome to compare
        return None, f"{type(e).__name__}: {e}"


def main():
    with open(GOLDEN, encoding="utf-8") as f:
        golden = json.load(f)
    env = make_env()
    tdir = os.path.join(ROOT, "model", "chat", "testdata", "templates")
    templates = {}
    for name in golden["templates"]:
        with open(os.path.join(tdir, name + ".jinja"), encoding="utf-8") as f:
            templates[name] = f.read()
    bad = 0
    n = 0
    for c in golden["cases"]:
        ctx = {"messages": c["messages"], "tools": None, "documents": None,
               "add_generation_prompt": c["add_generation_prompt"], **golden["special"]}
        if c["enable_thinking"] is not None:
            ctx["enable_thinking"] = c["enable_thinking"]
        text, err = render(env, templates[c["template"]], ctx)
        n += 1
        if err is not None or text != c["text"]:
            bad += 1
            print(f"DIFF case {c['template']}/{c['name']} gen={c['add_generation_prompt']} think={c['enable_thinking']}:\n"
                  f"  @huggingface/jinja {c['text']!r}\n  jinja2             {text!r} {err or ''}")
    for e in golden["engine"]:
        text, err = render(env, e["template"], e["context"])
        n += 1
        want_err = "error" in e
        if want_err != (err is not None) or (not want_err and text != e["text"]):
            bad += 1
            print(f"DIFF engine {e['name']}:\n  @huggingface/jinja {e.get('text')!r} {e.get('error', '')}\n"
                  f"  jinja2             {text!r} {err or ''}")
    print(f"jinja2 {jinja2.__version__}: {n - bad} of {n} cases equal to the @huggingface/jinja goldens", file=sys.stderr)
    out = []
    for name, src, ctx in PYTHON_CASES:
        text, err = render(env, src, ctx)
        row = {"name": name, "template": src, "context": ctx}
        if err is None:
            row["text"] = text
        else:
            row["error"] = err
        out.append(row)
    with open(JINJA2_GOLDEN, "w", encoding="utf-8") as f:
        json.dump({"generator": f"tools/chatgold/jinja2_gold.py with Jinja2 {jinja2.__version__}", "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"jinja2 golden: {len(out)} cases", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
