// Runs the core's golden outputs compiled to wasm32 and compares each with the native
// golden file, byte for byte. Usage: node scripts/wasm-golden.mjs WASM FIXTURES_DIR
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [wasmPath, fixtures] = process.argv.slice(2);
if (!wasmPath || !fixtures) {
  console.error("usage: node scripts/wasm-golden.mjs WASM FIXTURES_DIR");
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const exports = instance.exports;
const read = (name) => {
  const ptr = exports[`golden_${name}_ptr`]();
  const len = exports[`golden_${name}_len`]();
  return new TextDecoder().decode(new Uint8Array(exports.memory.buffer, ptr, len));
};

let failed = false;
for (const [name, file] of [
  ["event_log", "golden_event_log.jsonl"],
  ["synthetic", "golden_synthetic.txt"],
  ["swarm", "golden_swarm.txt"],
  ["learned", "golden_learned.txt"],
]) {
  const path = join(fixtures, file);
  const actual = read(name).split("\n");
  const expected = readFileSync(path, "utf8").split("\n");
  const line = actual.findIndex((text, i) => text !== expected[i]);
  if (line >= 0 || actual.length !== expected.length) {
    const at = line >= 0 ? line : Math.min(actual.length, expected.length);
    console.error(`wasm32 output differs from ${path} at line ${at + 1}`);
    console.error(`wasm32: ${actual[at]}`);
    console.error(`native: ${expected[at]}`);
    failed = true;
  } else {
    console.log(`wasm32 output matches ${path} (${expected.length - 1} lines)`);
  }
}
process.exit(failed ? 1 : 0);
