import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren, ComponentType } from 'preact';
import { ApiError, login, loginOwner, logout as endSession, token } from './api.js';
import { ErrorLine } from './ui.js';
import './style.css';

/**
 * The login shell: all an unauthenticated visitor gets. The rest of the page is a chunk
 * loaded once a token has been accepted by the node; every datum comes from the admin API.
 */
/** A login form: runs `submit` with the form's fields, shows the API's refusal. */
function LoginForm({ label, submit, onIn, children }: { label: string; submit: (form: FormData) => Promise<void>; onIn: () => void; children: ComponentChildren }) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <form
      aria-label={label}
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        setError(undefined);
        try {
          await submit(new FormData(e.currentTarget));
          onIn();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      {children}
      <button type="submit" aria-disabled={busy ? 'true' : undefined}>
        {label}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

const field = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
};

function Login({ onIn }: { onIn: () => void }) {
  return (
    <main class="login">
      <h1>MagUI</h1>
      <p class="muted">The admin page of this MagMoBoMini node. The admin token is in the node's data directory (admin.token); owner accounts are made with mobo owner:create.</p>
      <LoginForm label="Log in" submit={(form) => login(field(form, 'token'))} onIn={onIn}>
        <label>
          <span>Admin token</span>
          <input name="token" type="password" autocomplete="off" required autofocus />
        </label>
      </LoginForm>
      <LoginForm label="Sign in" submit={(form) => loginOwner(field(form, 'email'), field(form, 'password'))} onIn={onIn}>
        <p class="muted">Or with an owner account:</p>
        <label>
          <span>Email</span>
          <input name="email" type="email" autocomplete="username" required />
        </label>
        <label>
          <span>Password</span>
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
      </LoginForm>
    </main>
  );
}

function Shell() {
  const [app, setApp] = useState<ComponentType<{ onLogout: () => void }> | undefined>(undefined);
  const [signedIn, setSignedIn] = useState(token.get() !== undefined);
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
    void endSession();
    setSignedIn(false);
  };
  if (!signedIn) return <Login onIn={() => setSignedIn(true)} />;
  if (error) return <ErrorLine error={error} />;
  if (!app) return <p class="muted">Loading…</p>;
  const App = app;
  return <App onLogout={logout} />;
}

render(<Shell />, document.getElementById('root')!);
