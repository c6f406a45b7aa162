// Bundles frontend/main.css and frontend/main.js into src/schakel/web/static/dist/.
// Run by `npm run build` (and so by `make frontend`); the output folder is git-ignored
// and served by WhiteNoise.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "src", "schakel", "web", "static", "dist");

await mkdir(outdir, { recursive: true });

let result;
try {
  result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [
      { in: "frontend/main.css", out: "schakel" },
      { in: "frontend/main.js", out: "schakel" },
    ],
    outdir,
    bundle: true,
    minify: true,
    // No source maps: the manifest storage of WhiteNoise would have to rewrite their references,
    // and the sources are in the repository and node_modules anyway.
    sourcemap: false,
    // Licence comments (EUPL-1.2 of the Utrecht components) stay in the output, at the end.
    legalComments: "eof",
    format: "iife",
    target: ["es2020", "chrome109", "edge109", "firefox115", "safari15.6"],
    logLevel: "warning",
    metafile: true,
  });
} catch {
  // esbuild has already printed the errors with file and line.
  process.exit(1);
}

for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  console.log(`${file}  ${(bytes / 1024).toFixed(1)} KiB`);
}
