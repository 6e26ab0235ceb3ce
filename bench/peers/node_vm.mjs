// The design's original sketch as a benchmark peer: each call runs the worker's logic, as
// JavaScript, in a fresh node:vm context with a timeout (the design named vm2, since
// discontinued for sandbox escapes; node:vm is what it wrapped). The script is compiled once,
// like a warm module; every call gets a new context, like every MemJit run gets a new store.
//
//   node bench/peers/node_vm.mjs WORKLOAD INPUT_HEX RUNS [MODEL_JSON]
//
// Prints {"per_run_us": ..., "output_hex": ...}. WORKLOAD is "echo" or "dense".
import { readFileSync } from "node:fs";
import vm from "node:vm";

const [workload, inputHex, runsText, modelPath] = process.argv.slice(2);
const input = Uint8Array.from(Buffer.from(inputHex, "hex"));
const runs = Number(runsText);

function denseSource(model) {
  // Weights become Float32Array literals in the source, as the wasm keeps them in data.
  const layers = model.layers.map((layer) => ({
    w: Array.from(new Float32Array(layer.weights.flat())),
    b: Array.from(new Float32Array(layer.bias)),
    n_in: layer.weights[0].length,
    n_out: layer.weights.length,
    relu: layer.activation === "relu",
  }));
  // One function call with the context's globals read once: V8 optimizes the loops, and
  // no hot path goes through the contextified global object.
  return `(function (input, fround, F32) {
    const layers = ${JSON.stringify(layers)}.map((l) => ({...l, w: new F32(l.w), b: new F32(l.b)}));
    const size = ${model.input_size}, scale = fround(${model.input_scale});
    const n = input.length / size;
    const out = new Uint8Array(n);
    for (let item = 0; item < n; item++) {
      let x = new F32(size);
      for (let i = 0; i < size; i++) x[i] = fround(input[item * size + i] * scale);
      for (const l of layers) {
        const y = new F32(l.n_out);
        for (let o = 0; o < l.n_out; o++) {
          let acc = l.b[o];
          for (let i = 0; i < l.n_in; i++) acc = fround(acc + fround(l.w[o * l.n_in + i] * x[i]));
          y[o] = l.relu && !(acc > 0) ? 0 : acc;
        }
        x = y;
      }
      let best = 0;
      for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
      out[item] = best;
    }
    return out;
  })(input, Math.fround, Float32Array);`;
}

const source =
  workload === "echo" ? "input.slice();" : denseSource(JSON.parse(readFileSync(modelPath, "utf8")));
const script = new vm.Script(source);

let output;
const call = () => {
  const context = vm.createContext({ input: input.slice() });
  output = script.runInContext(context, { timeout: 5000 });
};
for (let i = 0; i < Math.min(runs, 50); i++) call(); // warm-up
const samples = [];
const batch = Math.max(1, Math.floor(runs / 5));
for (let rep = 0; rep < 5; rep++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) call();
  samples.push(Number(process.hrtime.bigint() - start) / 1000 / batch);
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({ per_run_us: samples[2], output_hex: Buffer.from(output).toString("hex") }));
