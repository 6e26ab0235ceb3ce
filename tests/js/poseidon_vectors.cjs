// Hashes with circomlibjs, for tests/test_poseidon.py's cross-check of oracle/poseidon.py.
// Reads a JSON array of input lists (decimal strings) on stdin and prints a JSON object with
// the decimal hashes of circomlibjs's reference form and of its default (wasm) form.
"use strict";

const { buildPoseidonReference, buildPoseidon } = require("circomlibjs");

async function main() {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    const vectors = JSON.parse(Buffer.concat(chunks).toString("utf8"));

    const reference = await buildPoseidonReference();
    const wasm = await buildPoseidon();
    const hashes = (hash) =>
        vectors.map((inputs) => hash.F.toString(hash(inputs.map(BigInt)), 10));

    process.stdout.write(JSON.stringify({ reference: hashes(reference), wasm: hashes(wasm) }));
}

main().then(
    () => process.exit(0),
    (error) => {
        process.stderr.write(`${error.stack || error}\n`);
        process.exit(1);
    },
);
