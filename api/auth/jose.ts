/**
 * `jose` 6 is ESM-only and this repo compiles to CommonJS (module node16). Node ≥ 20.19 can `require()` an
 * ES module, but TypeScript's node16 mode refuses a static import of one (TS1479), so: types through a
 * type-only import with `resolution-mode: import`, the runtime module through `require`. Everything that
 * needs jose imports it from here, so switching to `module: node20` later is a one-file change.
 * (Jest runs its own module loader: it needs `transformIgnorePatterns: ['/node_modules/(?!jose/)']`.)
 */
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const jose = require('jose') as typeof Jose;

export type CryptoKey = Jose.CryptoKey;
export type JSONWebKeySet = Jose.JSONWebKeySet;
export type JWK = Jose.JWK;
export type JWTPayload = Jose.JWTPayload;
export type JWTVerifyGetKey = Jose.JWTVerifyGetKey;
