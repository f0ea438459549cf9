// Lints the browser JavaScript under explorer/ (scripts/test.sh runs `npx eslint explorer`). Two kinds of file:
// component modules (they end with `export default function`) and library scripts (plain scripts that each define
// one namespace; explorer/shared/browser/components.py puts the ones a module needs in front of it).
import js from "@eslint/js";
import globals from "globals";

// Each library script and the namespace it defines.
const LIBRARIES = {
  "explorer/shared/browser/runner.js": "LatentRunner",
  "explorer/shared/browser/mount.js": "ExplorerMount",
  "explorer/shared/browser/canvas.js": "ExplorerCanvas",
  "explorer/draw/pixel_math.js": "PixelMath",
  "explorer/draw/prepare.js": "MnistPrepare",
  "explorer/inside/elbo.js": "ElboMath",
  "explorer/inside/inside_chain.js": "InsideChain",
  "explorer/inside/inside_layout.js": "InsideLayout",
  "explorer/inside/inside_view.js": "InsideView",
  "explorer/latent_map/map_paint.js": "MapPaint",
  "explorer/latent_map/sprites.js": "DigitSprites",
  "explorer/latent_map/timeline_panel.js": "TimelinePanel",
};
const NAMESPACES = Object.fromEntries(Object.values(LIBRARIES).map((name) => [name, "readonly"]));

export default [
  { ignores: ["node_modules/**", "static/**"] },
  js.configs.recommended,
  {
    files: ["explorer/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, ...NAMESPACES, Plotly: "readonly" },
    },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  ...Object.entries(LIBRARIES).map(([file, name]) => ({
    files: [file],
    // The script defines its own namespace (so it is not a global it reads); the others' are.
    languageOptions: { sourceType: "script", globals: { [name]: "off" } },
    // A script's top-level namespace is its whole point: used by the modules, not in the file itself.
    rules: { "no-unused-vars": ["error", { vars: "local", args: "after-used", argsIgnorePattern: "^_" }] },
  })),
];
