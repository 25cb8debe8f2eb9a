import type { NextConfig } from "next";

// Next.js's defaults (Turbopack or webpack): the reranking packages need no configuration.
const nextConfig: NextConfig = {};

export default nextConfig;
