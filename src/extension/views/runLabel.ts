// How the Runs view names a run so that same-named runs are told apart (pure: unit-tested without VS Code).

/**
 * A run's label, told apart from same-named runs of its project: "demo" alone, else "demo · 19:42:05"
 * (its start time; the date too when not today), and its short id when even that is shared.
 */
export function runLabel(run: { id: string; name: string; created_at: string }, siblings: ReadonlyArray<{ id: string; name: string; created_at: string }>, now = new Date()): string {
  const twins = siblings.filter((s) => s.id !== run.id && s.name === run.name);
  if (!twins.length) return run.name;
  const when = (iso: string) => {
    const d = new Date(iso);
    const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
    return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
  };
  const mine = when(run.created_at);
  const clash = twins.some((s) => when(s.created_at) === mine);
  return `${run.name} · ${mine}${clash ? ` · ${run.id}` : ''}`;
}
