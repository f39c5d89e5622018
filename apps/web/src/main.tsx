import { render } from 'preact';
import { App } from './app';
import { applyTheme, initialTheme } from './components/layout';
import './styles.css';

applyTheme(initialTheme());
render(<App />, document.getElementById('app')!);
