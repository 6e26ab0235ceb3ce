#!/usr/bin/env node
// npm postinstall: fixes @libp2p/tcp 6.x (pulled in by js-ipfs 0.66) for current
// dependencies: its address filter passes a Multiaddr object where `mafmt` now wants the
// string form, so every TCP address is rejected. Idempotent; patches every copy installed.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const BROKEN = "mafmt.TCP.matches(ma.decapsulateCode(CODE_P2P))";
const FIXED = "mafmt.TCP.matches(ma.decapsulateCode(CODE_P2P).toString())";

function copies(modules, found = []) {
  const target = path.join(modules, "@libp2p", "tcp", "dist", "src", "index.js");
  if (fs.existsSync(target)) found.push(target);
  let entries = [];
  try {
    entries = fs.readdirSync(modules, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const dir = path.join(modules, entry.name);
    const packages = entry.name.startsWith("@")
      ? fs.readdirSync(dir).map((name) => path.join(dir, name))
      : [dir];
    for (const pkg of packages) {
      const nested = path.join(pkg, "node_modules");
      if (fs.existsSync(nested)) copies(nested, found);
    }
  }
  return found;
}

let failed = false;
for (const file of copies(path.join(__dirname, "..", "..", "node_modules"))) {
  const text = fs.readFileSync(file, "utf8");
  if (text.includes(FIXED)) continue;
  if (!text.includes(BROKEN)) {
    console.error(`patch-libp2p-tcp: unknown @libp2p/tcp version, not patched: ${file}`);
    failed = true;
    continue;
  }
  fs.writeFileSync(file, text.split(BROKEN).join(FIXED));
  console.log(`patch-libp2p-tcp: patched ${path.relative(process.cwd(), file)}`);
}
process.exit(failed ? 1 : 0);
