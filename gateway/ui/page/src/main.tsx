import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { ApiError, login, token } from './api.js';
import { ErrorLine } from './ui.js';
import './style.css';

/**
 * The login shell: all an unauthenticated visitor gets. The rest of the page is a chunk
 * loaded once a token has been accepted by the node; every datum comes from the admin API.
 */
function Login({ onIn }: { onIn: () => void }) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <h1>MagUI</h1>
      <p class="muted">The admin page of this MagMoBoMini node. The admin token is in the node's data directory (admin.token).</p>
      <form
        aria-label="Log in"
        onSubmit={async (e) => {
          e.preventDefault();
          const value = new FormData(e.currentTarget).get('token');
          setBusy(true);
          setError(undefined);
          try {
            await login(typeof value === 'string' ? value : '');
            onIn();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>
          <span>Admin token</span>
          <input name="token" type="password" autocomplete="off" required autofocus />
        </label>
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <ErrorLine error={error} />
      </form>
    </main>
  );
}

function Shell() {
  const [app, setApp] = useState<ComponentType<{ onLogout: () => void }> | undefined>(undefined);
  const [signedIn, setSignedIn] = useState(token.get() !== null);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    if (!signedIn || app) return;
    import('./app.js').then(
      (m) => setApp(() => m.App),
      (e: unknown) => setError(e),
    );
  }, [signedIn]);
  // A token the node stops taking (rotated, another node) sends the page back to the login.
  useEffect(() => {
    const onRefused = (e: PromiseRejectionEvent) => {
      if (e.reason instanceof ApiError && e.reason.status === 401) logout();
    };
    window.addEventListener('unhandledrejection', onRefused);
    return () => window.removeEventListener('unhandledrejection', onRefused);
  }, []);
  const logout = () => {
    token.clear();
    setSignedIn(false);
  };
  if (!signedIn) return <Login onIn={() => setSignedIn(true)} />;
  if (error) return <ErrorLine error={error} />;
  if (!app) return <p class="muted">Loading…</p>;
  const App = app;
  return <App onLogout={logout} />;
}

render(<Shell />, document.getElementById('root')!);
