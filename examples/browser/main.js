// The demo page: picks a model folder, its signature and a key or root certificate, verifies in the page and
// shows each file's status. The library is also left on `globalThis.modelSigning` for the console.
import * as modelSigning from '@model-signing/browser';

globalThis.modelSigning = modelSigning;

const $ = (id) => document.getElementById(id);

/** Sets the verdict line; `status` is idle, running, verified or failed. */
function verdict(status, text, code = '') {
  const line = $('verdict');
  line.dataset.status = status;
  line.dataset.code = code;
  line.textContent = text;
}

/** Fills the file table: one row per local or missing file with its status. */
function showFiles(rows) {
  const body = $('files').querySelector('tbody');
  body.replaceChildren(
    ...rows.map(({ name, status, css }) => {
      const tr = document.createElement('tr');
      tr.dataset.name = name;
      tr.dataset.status = status;
      const file = document.createElement('td');
      file.textContent = name;
      const state = document.createElement('td');
      state.textContent = status;
      state.className = css;
      tr.append(file, state);
      return tr;
    }),
  );
}

// The local files' names as the model lists them (the folder name dropped).
function localNames(files) {
  return [...files].map((f) => f.webkitRelativePath.split('/').slice(1).join('/') || f.name).sort();
}

async function verify(event) {
  event.preventDefault();
  const files = $('model').files;
  const signature = $('signature').files[0];
  const trust = $('trust').files[0];
  const url = $('url').value.trim();
  if ((!files?.length && !url) || !signature || !trust) {
    verdict(
      'failed',
      'Pick a model folder (or give its URL), a signature file and a key or certificate file first.',
      'CONFIG_ERROR',
    );
    return;
  }
  const model = url ? new URL(url, location.href) : files;
  const method = document.querySelector('input[name="method"]:checked').value;
  const ignorePaths = $('ignore')
    .value.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const names = url ? [] : localNames(files);
  // As the CLI leaves out a signature file kept inside the model, so does the page.
  if (names.includes(signature.name)) ignorePaths.push(signature.name);
  const config = new modelSigning.Config();
  if (method === 'key') config.useEllipticKeyVerifier({ publicKey: trust });
  else config.useCertificateVerifier({ certificateChain: [trust] });
  verdict('running', url ? `Verifying ${url}…` : `Verifying ${names.length} files…`);
  showFiles([]);
  const started = performance.now();
  try {
    const result = await config.verify(model, signature, {
      ignorePaths,
      onProgress: ({ bytesHashed }) =>
        verdict('running', `Verifying… ${(bytesHashed / 2 ** 20).toFixed(0)} MiB hashed`),
    });
    const signed = new Set(result.files.map((name) => name.replace(/:\d+:\d+$/, '')));
    // A model given by URL is the files its signature names.
    if (url) names.push(...signed);
    showFiles(
      names.map((name) =>
        signed.has(name) || (names.length === 1 && signed.has('.'))
          ? { name, status: 'verified', css: 'ok' }
          : { name, status: 'ignored', css: 'skip' },
      ),
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const warnings = result.warnings.length ? ` (${result.warnings.join(' ')})` : '';
    verdict(
      'verified',
      `Verified with the ${result.method} method: ${result.files.length} resources of '${result.signedModelName}', ${result.rootDigest}, in ${seconds} s${warnings}`,
    );
  } catch (error) {
    const code = error instanceof modelSigning.VerificationError ? error.code : 'ERROR';
    verdict('failed', `Verification failed (${code}): ${error.message}`, code);
    const details = error.details;
    if (!details) {
      showFiles(names.map((name) => ({ name, status: 'not checked', css: 'skip' })));
      return;
    }
    const strip = (name) => name.replace(/:\d+:\d+$/, '');
    const extra = new Set(details.extra.map(strip));
    const changed = new Set(details.mismatched.map((m) => strip(m.name)));
    const missing = [...new Set(details.missing.map(strip))].filter((name) => !names.includes(name));
    showFiles([
      ...names.map((name) =>
        extra.has(name)
          ? { name, status: 'extra (not signed)', css: 'bad' }
          : changed.has(name)
            ? { name, status: 'changed', css: 'bad' }
            : ignorePaths.includes(name)
              ? { name, status: 'ignored', css: 'skip' }
              : { name, status: 'verified', css: 'ok' },
      ),
      ...missing.map((name) => ({ name, status: 'missing', css: 'bad' })),
    ]);
  }
}

$('form').addEventListener('submit', verify);
