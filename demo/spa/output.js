// What the demo's pages share: the "last answer" panel and the line naming the signed-in user.

/** Shows an answer (a string as is, anything else as JSON) and clears the previous answer's action. */
export function show(title, body) {
  document.getElementById('output-title').textContent = title;
  document.getElementById('output').textContent =
    typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  document.getElementById('action-link')?.replaceChildren();
}

/** GET /auth/session's user, in one sentence (the session never holds a token). */
export function describeUser(session) {
  if (session.user === null) return 'Not signed in.';
  const { name, sub, email } = session.user;
  return `Signed in as ${name ?? sub} (${email ?? 'no email'}).`;
}
