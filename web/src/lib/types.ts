// The data the server and the app exchange. Generated from schemas/ (the one definition: docs/API.md describes
// it, the C++ side is checked against it by schema.cli.test.ts) into types.gen.ts; this module is where the app
// imports them from. A POINT is exactly what `roofline analyze --format json` prints; the offline model builds
// the same shape.
export type * from './types.gen';
