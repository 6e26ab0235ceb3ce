// Promise.withResolvers for Node < 22, which js-ipfs 0.66's dependencies (it-queue, mortice)
// call. Loaded before the node starts: NODE_OPTIONS="--require tools/ipfs/polyfill.cjs".
"use strict";
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
