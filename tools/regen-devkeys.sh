#!/usr/bin/env bash
# Makes new packaged development keys (INSECURE single-party setup) for the default scoring
# circuit, k = 5 score slots x m = 16 canaries, regenerates contracts/Groth16Verifier.sol from
# their verification key and recompiles the artifacts. Run it after changing the circuit:
# tests/test_oracle_keys.py fails while the packaged keys and verifier are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
memjit=${MEMJIT:-memjit}
keys=oracle/devkeys/k5-m16
"$memjit" oracle setup --workers 5 --canaries 16 --out "$keys" --force
mv "$keys/Groth16Verifier.sol" contracts/Groth16Verifier.sol
rm -f "$keys/circuit.r1cs"  # 0.9 MB and regenerable: `memjit oracle circuit -o FILE` writes it
"$memjit" compile
