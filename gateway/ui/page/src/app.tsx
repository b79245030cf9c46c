import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AuthPage } from './pages/auth.js';
import { BackupsPage } from './pages/backups.js';
import { DataPage } from './pages/data.js';
import { MotherboardPage } from './pages/motherboard.js';
import { RealtimePage } from './pages/realtime.js';
import { SentinelPage } from './pages/sentinel.js';

const PAGES: Array<{ id: string; title: string; page: ComponentType }> = [
  { id: 'motherboard', title: 'Motherboard', page: MotherboardPage },
  { id: 'data', title: 'Data', page: DataPage },
  { id: 'auth', title: 'Auth', page: AuthPage },
  { id: 'realtime', title: 'Realtime & MQTT', page: RealtimePage },
  { id: 'sentinel', title: 'Sentinel', page: SentinelPage },
  { id: 'backups', title: 'Backups', page: BackupsPage },
];

const current = () => PAGES.find((p) => `#/${p.id}` === location.hash) ?? PAGES[0]!;

/** The logged-in page: one nav (plain links, so the keyboard and the back button work), one page at a time. */
export function App({ onLogout }: { onLogout: () => void }) {
  const [page, setPage] = useState(current);
  useEffect(() => {
    const onHash = () => setPage(current());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  // The keyboard follows the page: its heading takes the focus, so Tab goes on into the page.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [page]);
  const Page = page.page;
  return (
    <div class="app">
      <header>
        <strong>MagUI</strong>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a href={`#/${p.id}`} aria-current={p.id === page.id ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main id={`page-${page.id}`}>
        <h1 tabIndex={-1} ref={heading}>
          {page.title}
        </h1>
        <Page />
      </main>
    </div>
  );
}
