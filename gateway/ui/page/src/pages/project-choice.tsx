import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { admin } from '../api.js';
import { ErrorLine, ProjectPicker, useLoad } from '../ui.js';

/** The project a page acts on, chosen from the node's projects (remembered for the tab). */
export function useProject(): { project: string; picker: JSX.Element } {
  const projects = useLoad(() => admin.get<Array<{ project: string }>>('/projects'), []);
  const [project, setProject] = useState(sessionStorage.getItem('mobo.ui.project') ?? '');
  const choose = (p: string) => {
    sessionStorage.setItem('mobo.ui.project', p);
    setProject(p);
  };
  const names = (projects.value ?? []).map((p) => p.project);
  const picker = (
    <div class="toolbar">
      <ErrorLine error={projects.error} />
      <ProjectPicker projects={names.includes(project) || project === '' ? names : [...names, project]} value={project} onChange={choose} />
    </div>
  );
  return { project, picker };
}
