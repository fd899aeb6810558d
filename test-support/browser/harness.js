// Loaded into the demo page by the browser tests: verifies a model described by URLs with the library the
// page exposes (globalThis.modelSigning), passing the files as URLs, Blobs or Responses, and returns a plain
// result the test can compare with what Node.js gives.

const text = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return response.text();
};

// Copies the files into a new folder of the origin private file system: a real FileSystemDirectoryHandle.
async function directory(entries, name) {
  const root = await navigator.storage.getDirectory();
  const top = await root.getDirectoryHandle(name, { create: true });
  for (const [path, url] of entries) {
    const parts = path.split('/');
    let dir = top;
    for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
    const handle = await dir.getFileHandle(parts.at(-1), { create: true });
    const writable = await handle.createWritable();
    await (await fetch(url)).body.pipeTo(writable);
  }
  return top;
}

// The model in the form asked for: URLs (fetched by the workers), Blobs, Responses fetched only when hashed,
// or a directory handle.
async function model(spec) {
  const entries = Object.entries(spec.files);
  const as = spec.as ?? 'urls';
  if (as === 'directory') return directory(entries, spec.modelName ?? `model-${Date.now()}`);
  if (as === 'urls') return new Map(entries);
  if (as === 'responses') return new Map(entries.map(([name, url]) => [name, () => fetch(url)]));
  const blobs = await Promise.all(
    entries.map(async ([name, url]) => [name, await (await fetch(url)).blob()]),
  );
  if (as === 'blob' && blobs.length === 1) return blobs[0][1];
  return new Map(blobs);
}

globalThis.harness = {
  async verify(spec) {
    // The page's copy of the library, or a bundle loaded as a web app would (its worker found beside it).
    const lib = spec.library ? await import(spec.library) : globalThis.modelSigning;
    const config = new lib.Config();
    try {
      if (spec.method === 'key') config.useEllipticKeyVerifier({ publicKey: await text(spec.trust[0]) });
      else {
        const roots = await Promise.all(spec.trust.map(text));
        config.useCertificateVerifier({ certificateChain: roots });
      }
      const signature = new URL(spec.signature, location.href);
      const controller = new AbortController();
      if (spec.abortAfterMs !== undefined) setTimeout(() => controller.abort(), spec.abortAfterMs);
      let bytesHashed = 0;
      const input = spec.remote ? new URL(spec.remote, location.href) : await model(spec);
      const result = await config.verify(input, signature, {
        ignoreUnsignedFiles: spec.ignoreUnsignedFiles ?? false,
        ignorePaths: spec.ignorePaths ?? [],
        modelName: spec.modelName,
        signal: controller.signal,
        onProgress: (progress) => {
          bytesHashed = progress.bytesHashed;
        },
      });
      return { ok: true, ...result, bytesHashed };
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
