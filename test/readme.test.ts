import { readFile } from "node:fs/promises";
import {
  cohereConfigSchema,
  httpConfigSchema,
  jinaConfigSchema,
  lexicalConfigSchema,
  localConfigSchema,
  mixedbreadConfigSchema,
  passthroughConfigSchema,
  voyageConfigSchema,
} from "@crossrank/core";
import { REGISTRY } from "@crossrank/hub";
import { describe, expect, it } from "vitest";

const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");

/** The README is the front door: these checks keep its reference tables in step with the code. */
describe("README", () => {
  it("lists every registry model with its repo", () => {
    for (const m of REGISTRY) {
      expect(readme).toMatch(new RegExp(`\\| \`${m.name}\`[^|]*\\| ${m.repo} \\| ${m.family}`));
    }
  });

  it("documents every option of every provider", () => {
    for (const schema of [localConfigSchema, lexicalConfigSchema, passthroughConfigSchema, cohereConfigSchema, mixedbreadConfigSchema, httpConfigSchema, voyageConfigSchema, jinaConfigSchema]) {
      for (const key of Object.keys(schema.shape)) {
        if (key === "provider") continue;
        expect(readme, `option ${key}`).toMatch(new RegExp(`\\| \`${key}\` \\||\`${key}\` \\(`));
      }
    }
    for (const variable of ["COHERE_API_KEY", "MXBAI_API_KEY", "VOYAGE_API_KEY", "JINA_API_KEY", "CROSSRANK_PROVIDER", "CROSSRANK_CONFIG", "CO_API_KEY", "CROSSRANK_HUB_TIMEOUT_MS", "CROSSRANK_REQUIRE_DIGEST", "CROSSRANK_MAX_RESPONSE_BYTES", "CROSSRANK_MODEL", "CROSSRANK_OFFLINE", "HF_TOKEN", "HF_ENDPOINT"]) {
      expect(readme).toContain(`| \`${variable}\``);
    }
  });

  it("gives the same install and test commands .ci/run runs", async () => {
    const ci = await readFile(new URL("../.ci/run", import.meta.url), "utf8");
    expect(readme).toContain("npm install -g pnpm@12.4.2 && pnpm install --frozen-lockfile && pnpm demo");
    expect(ci).toContain("npm install -g pnpm@12.4.2 && pnpm install --frozen-lockfile && pnpm demo");
    expect(readme).toMatch(/^pnpm test\b/m);
    expect(ci).toMatch(/^pnpm test$/m);
  });
});
