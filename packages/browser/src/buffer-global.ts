/**
 * Injected into the browser bundle (esbuild `inject`) for `@model-signing/manifest`, which decodes hex and
 * finds its way through large statements with Node.js's `Buffer`: the `buffer` package provides the same API.
 * @module
 */
export { Buffer } from 'buffer';
