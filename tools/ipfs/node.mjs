// Starts a js-ipfs 0.66 node (the npm `ipfs` package) for MemJit's tests: the same HTTP RPC
// as kubo, offline, with its repository at $IPFS_PATH, settings from the JSON file given as
// the first argument, and a BLAKE3 hasher registered (multihash 0x1e), as kubo has built in.
//
//   IPFS_PATH=DIR NODE_OPTIONS="--require tools/ipfs/polyfill.cjs" node tools/ipfs/node.mjs CONFIG
//
// Prints "HTTP API listening on MULTIADDR", then "Daemon is ready"; stops on SIGTERM/SIGINT.
import { readFileSync } from "node:fs";
import { blake3 } from "@noble/hashes/blake3";
import { Daemon } from "ipfs-daemon";
import { from } from "multiformats/hashes/hasher";

const repo = process.env.IPFS_PATH;
if (!repo) {
  console.error("set IPFS_PATH to the node's repository folder");
  process.exit(2);
}
const config = process.argv[2] ? JSON.parse(readFileSync(process.argv[2], "utf8")) : {};

const daemon = new Daemon({
  repo,
  config,
  init: { emptyRepo: true, profiles: ["test"] },
  offline: true,
  preload: { enabled: false },
  ipld: { hashers: [from({ name: "blake3", code: 0x1e, encode: (bytes) => blake3(bytes) })] },
  silent: true,
});
await daemon.start();
for (const server of daemon._httpApi._apiServers) {
  console.log(`HTTP API listening on ${server.info.ma}`);
}
console.log("Daemon is ready");

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await daemon.stop();
  process.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, stop);
