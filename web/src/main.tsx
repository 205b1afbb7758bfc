import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { applyThemeChoice } from './components/theme';
import './styles.css';

// The remembered theme before the first paint, so a dark choice never flashes light.
applyThemeChoice();
const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
