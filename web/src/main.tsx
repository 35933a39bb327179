/** The web app's entry: renders the app into #app (web/build.mjs bundles from here). */
import { render } from 'preact';
import { App } from './app';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
