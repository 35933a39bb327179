/** The web app's entry: renders the app into #app (web/build.mjs bundles from here). */
import { render } from 'preact';
import { App } from './app';
import { reloadOnRebuild } from './dev-reload';

/** Set by web/build.mjs: true in watch mode only (the production bundle drops the reload code). */
declare const __DEV_RELOAD__: boolean;

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
if (__DEV_RELOAD__) reloadOnRebuild();
