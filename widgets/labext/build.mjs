// Build the prebuilt (federated) extension into ../sidebyside/labextension (`make labext`), against
// the JupyterLab of the course's virtualenv (its staging package lists what the running lab shares),
// then record which sources it came from.
//
// The record is a SHA-256 over every file in this folder (node_modules aside), each hashed as
// "<path>\n<length>\n<bytes>", paths sorted, written to source.sha256 beside the build.
// tests/test_labext.py recomputes it: a source edited without a rebuild fails the tests, and the
// tests need no npm.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const out = join(here, pkg.jupyterlab.outputDir);

// `jupyter labextension build` is deprecated in JupyterLab 4.6 and its successor looks versions up
// online; @jupyterlab/builder's own script, given the lab's staging folder, needs nothing.
const python = process.env.PYTHON || join(here, '..', '..', '.venv', 'bin', 'python');
const staging = execFileSync(python, ['-c',
  'import jupyterlab, pathlib; print(pathlib.Path(jupyterlab.__file__).parent / "staging")'],
  { encoding: 'utf8' }).trim();
const builder = join(here, 'node_modules', '@jupyterlab', 'builder', 'lib', 'build-labextension.js');
execFileSync(process.execPath, [builder, '--core-path', staging, here], { stdio: 'inherit' });
// The builder empties its output folder; install.json tells `jupyter labextension list` which
// Python package installed the extension.
writeFileSync(join(out, 'install.json'), JSON.stringify({
  packageManager: 'python',
  packageName: 'sidebyside',
  uninstallInstructions: 'Use your Python package manager (pip, conda, etc.) to uninstall sidebyside'
}, null, 2) + '\n');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.name === 'node_modules' ? [] : e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]);
}

const hash = createHash('sha256');
const paths = files(here).map(p => relative(here, p).split(sep).join('/')).sort();
for (const rel of paths) {
  const bytes = readFileSync(join(here, rel));
  hash.update(`${rel}\n${bytes.length}\n`);
  hash.update(bytes);
}
writeFileSync(join(out, 'source.sha256'), hash.digest('hex') + '\n');
console.log(`built ${relative(here, out)} from ${paths.join(', ')}`);
