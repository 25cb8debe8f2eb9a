import type { NextConfig } from "next";

// Nothing crossrank-specific: the packages work with Next.js's defaults (Turbopack or webpack).
const nextConfig: NextConfig = {};

export default nextConfig;
