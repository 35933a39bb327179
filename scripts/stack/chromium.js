/**
 * Where the browser test's Chromium is: CHROME_PATH when set, else `chromium` on the PATH, else
 * /usr/bin/chromium (Debian's package). The stack's install step (install.mjs) installs Debian's package
 * when none is found and it may; the browser test (test/browser.ts) launches what this finds, or fails with
 * `hint`. No browser is downloaded from anywhere else.
 *
 * CommonJS like layout.js: scripts/stack/*.mjs and jest's CommonJS runtime both load it. Types: chromium.d.ts.
 */
const fs = require('node:fs');
const path = require('node:path');

const DEBIAN_PATH = '/usr/bin/chromium';

const HINT =
  "no Chromium for the browser test: install Debian's package (as root: apt-get install --no-install-recommends chromium; " +
  '`npm run stack -- install` does it when run as root or with passwordless sudo on Debian) or set CHROME_PATH to a Chromium or Chrome executable';

function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `{ path }` of the browser to launch, or `{ error }` saying why there is none and what to do. */
function findChromium(env = process.env) {
  if (env.CHROME_PATH) {
    // a browser the user named and that is not there is their mistake to fix, not a reason to install another
    return executable(env.CHROME_PATH) ? { path: env.CHROME_PATH } : { error: `CHROME_PATH=${env.CHROME_PATH} is not an executable file: point it at a Chromium or Chrome executable, or unset it to use Debian's chromium` };
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, 'chromium');
    if (executable(file)) return { path: file };
  }
  return executable(DEBIAN_PATH) ? { path: DEBIAN_PATH } : { error: HINT };
}

module.exports = { findChromium, CHROMIUM_HINT: HINT };
