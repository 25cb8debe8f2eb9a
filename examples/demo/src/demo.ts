/** `pnpm demo`: every example in turn, offline, in seconds. */
import { run as aiSdk } from "@crossrank/example-ai-sdk";
import { run as langchain } from "@crossrank/example-langchain-retriever";
import { run as llamaindex } from "@crossrank/example-llamaindex-query-engine";
import { run as mastra } from "@crossrank/example-mastra";
import { run as anyProvider } from "@crossrank/example-switch-provider";

await langchain();
await llamaindex();
await aiSdk();
await mastra();
await anyProvider();
