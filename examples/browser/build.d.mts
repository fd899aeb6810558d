/** Builds the demo page into `dir` (default examples/browser/dist); returns the folder. */
export function buildDemo(dir?: string): Promise<string>;
