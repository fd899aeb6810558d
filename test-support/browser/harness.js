// Loaded into the demo page by the browser tests: verifies a model described by URLs with the library the
// page exposes (globalThis.modelSigning), passing the files as URLs, Blobs or Responses, and returns a plain
// result the test can compare with what Node.js gives.

const text = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return response.text();
};

// The model in the form asked for: URLs (fetched by the workers), Blobs, or Responses fetched only when hashed.
async function model(spec) {
  const entries = Object.entries(spec.files);
  if (spec.as === 'urls') return new Map(entries);
  if (spec.as === 'responses') return new Map(entries.map(([name, url]) => [name, () => fetch(url)]));
  const blobs = await Promise.all(
    entries.map(async ([name, url]) => [name, await (await fetch(url)).blob()]),
  );
  if (spec.as === 'blob' && blobs.length === 1) return blobs[0][1];
  return new Map(blobs);
}

globalThis.harness = {
  async verify(spec) {
    const lib = globalThis.modelSigning;
    const config = new lib.Config();
    try {
      if (spec.method === 'key') config.useEllipticKeyVerifier({ publicKey: await text(spec.trust[0]) });
      else {
        const roots = await Promise.all(spec.trust.map(text));
        config.useCertificateVerifier({ certificateChain: roots });
      }
      const signature = new URL(spec.signature, location.href);
      const result = await config.verify(await model(spec), signature, {
        ignorePaths: spec.ignorePaths ?? [],
        modelName: spec.modelName,
      });
      return { ok: true, ...result };
    } catch (error) {
      return {
        ok: false,
        code: error.code ?? 'ERROR',
        message: error.message,
        details: error.details ?? null,
      };
    }
  },
};
