// The new build form's request body (pure): validated here so mistakes are shown before sending.

export interface NewBuildForm {
  expression: string;
  gitUrl: string;
  gitRef: string;
  gitAttr: string;
  systems: string;
  timeoutSeconds: string;
  push: string;
}

export type SubmitBody = {
  source: { kind: 'expr'; expression: string } | { kind: 'git'; url: string; ref?: string; attr?: string };
  systems?: string[];
  timeoutSeconds?: number;
  push?: string;
};

const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;

/** The POST /api/v1/builds body for the form, or a message saying what to fix. */
export function submitBody(form: NewBuildForm): { body: SubmitBody } | { error: string } {
  const expression = form.expression.trim();
  const url = form.gitUrl.trim();
  if (expression && url) return { error: 'Give either a Nix expression or a Git repository, not both.' };
  if (!expression && !url) return { error: 'Give a Nix expression or a Git repository URL.' };
  let body: SubmitBody;
  if (url) {
    const source: { kind: 'git'; url: string; ref?: string; attr?: string } = { kind: 'git', url };
    if (form.gitRef.trim()) source.ref = form.gitRef.trim();
    if (form.gitAttr.trim()) source.attr = form.gitAttr.trim();
    body = { source };
  } else body = { source: { kind: 'expr', expression: form.expression } };
  const systems = form.systems
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = systems.find((s) => !SYSTEM.test(s));
  if (bad) return { error: `"${bad}" is not a Nix system name (like x86_64-linux).` };
  if (systems.length > 8) return { error: 'At most 8 systems.' };
  if (systems.length > 0) body.systems = [...new Set(systems)];
  if (form.timeoutSeconds.trim()) {
    const timeout = Number(form.timeoutSeconds.trim());
    if (!Number.isInteger(timeout) || timeout < 1)
      return { error: 'The timeout is a whole number of seconds.' };
    body.timeoutSeconds = timeout;
  }
  if (form.push.trim()) body.push = form.push.trim();
  return { body };
}
