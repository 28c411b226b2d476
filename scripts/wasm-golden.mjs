// Runs the golden trading session compiled to wasm32 and compares its event log with the
// native golden file, byte for byte. Usage: node scripts/wasm-golden.mjs WASM GOLDEN
import { readFileSync } from "node:fs";

const [wasmPath, goldenPath] = process.argv.slice(2);
if (!wasmPath || !goldenPath) {
  console.error("usage: node scripts/wasm-golden.mjs WASM GOLDEN");
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const { golden_log_ptr, golden_log_len, memory } = instance.exports;
const ptr = golden_log_ptr();
const len = golden_log_len();
const log = new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len));
const golden = readFileSync(goldenPath, "utf8");
if (log !== golden) {
  const line = log.split("\n").findIndex((l, i) => l !== golden.split("\n")[i]);
  console.error(`wasm32 event log differs from ${goldenPath} at line ${line + 1}`);
  console.error(`wasm32: ${log.split("\n")[line]}`);
  console.error(`native: ${golden.split("\n")[line]}`);
  process.exit(1);
}
console.log(`wasm32 event log matches ${goldenPath} (${golden.split("\n").length - 1} events, ${len} bytes)`);
