/** Types of chromium.js (CommonJS, so that both scripts/stack/*.mjs and jest load it). */
export function findChromium(env?: NodeJS.ProcessEnv): { path: string; error?: undefined } | { path?: undefined; error: string };
export const CHROMIUM_HINT: string;
