// npm run build → dist/index.html + dist/main.js, one minified bundle with React in production mode.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';

const started = Date.now();
mkdirSync('dist', { recursive: true });
await build({
  entryPoints: ['src/main.jsx'],
  bundle: true,
  minify: true,
  jsx: 'automatic',
  target: 'es2022',
  define: { 'process.env.NODE_ENV': '"production"' },
  outfile: 'dist/main.js',
  logLevel: 'warning',
});
copyFileSync('index.html', 'dist/index.html');
console.log(`dist/main.js ${(statSync('dist/main.js').size / 1024).toFixed(0)} KiB in ${Date.now() - started} ms`);
