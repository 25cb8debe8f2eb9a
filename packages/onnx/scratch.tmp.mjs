import { monitorEventLoopDelay } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { createReranker } from "@crossrank/core";
const data = JSON.parse(readFileSync("/work/shared/data/trec-dl19/bm25-top100.json","utf8"));
const [dtype="fp32", threads="2", bt="4096", mb="16"] = process.argv.slice(2);
const r = await createReranker({ provider: "local", modelPath: "/tmp/m-real", dtype, threads: Number(threads), batchTokens: Number(bt), maxBatchSize: Number(mb) });
await r.rerank(data[0].query, data[0].hits.map(h => h.content));
const h = monitorEventLoopDelay({ resolution: 5 }); h.enable();
const times = [];
for (let i = 0; i < 10; i++) { const t = performance.now(); await r.rerank(data[i].query, data[i].hits.map(h => h.content)); times.push(performance.now() - t); }
h.disable();
times.sort((a,b)=>a-b);
console.log(dtype, threads, bt, mb, "p50", times[5].toFixed(0), "ms; max stall", (h.max/1e6).toFixed(0), "ms; maxrss", (process.resourceUsage().maxRSS/1024).toFixed(0), "MB");
await r.close();
