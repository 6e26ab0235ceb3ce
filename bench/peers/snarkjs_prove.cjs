// The snarkjs peer of bench/prover.py: loads snarkjs once, proves the same .zkey + .wtns
// `runs` times in this process (warm, like our in-process prover) and prints the times and
// the last proof as JSON on stdout. Usage: node snarkjs_prove.cjs ZKEY WTNS RUNS
"use strict";
const { performance } = require("node:perf_hooks");
const snarkjs = require("snarkjs");

async function main() {
  const [zkey, wtns, runsArg] = process.argv.slice(2);
  const runs = Number(runsArg || "3");
  const times = [];
  let last;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    last = await snarkjs.groth16.prove(zkey, wtns);
    if (i > 0) times.push((performance.now() - started) / 1000); // run 0 warms up
  }
  process.stdout.write(JSON.stringify({ times_s: times, proof: last.proof, public: last.publicSignals }));
}

main().then(
  () => process.exit(0), // snarkjs keeps worker threads alive
  (err) => {
    process.stderr.write(`snarkjs_prove: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  },
);
