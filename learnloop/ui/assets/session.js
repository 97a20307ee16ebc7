// Sign-in by pasted token or API key (sessionStorage), the header's "who" area and sign-out.

import { AuthError, VIEWER_QUERY, clearToken, getToken, gql, normaliseToken, setToken } from './api.js';

const $ = (id) => document.getElementById(id);

const HEADER = `
  <a class="brand" href="/ui/">learnloop</a>
  <nav aria-label="Main"><ul>
    <li><a href="/ui/">Dashboard</a></li>
    <li><a href="/ui/annotate">Annotate</a></li>
    <li><a href="/ui/widget">Feedback widget</a></li>
  </ul></nav>
  <div class="who" id="who" hidden><span id="who-name"></span><button id="signout" type="button">Sign out</button></div>`;

const SIGN_IN = `
  <h1 id="signin-title">Sign in</h1>
  <p class="muted">Paste a user token (<code>learnloop token --org &lt;slug&gt; --role &lt;role&gt;</code>) or an
  API key (<code>ll_…</code>). It is kept in this browser tab only and forgotten when you sign out or close the tab.</p>
  <div id="signin-message" class="msg" role="alert"></div>
  <form id="signin-form">
    <div class="field">
      <label for="token-input">Token or API key</label>
      <input id="token-input" type="password" autocomplete="off" spellcheck="false" required>
    </div>
    <button type="submit">Sign in</button>
  </form>`;

/** The header and the sign-in panel every page shares (pages hold only their own content). */
function renderChrome() {
  $('topbar').innerHTML = HEADER;
  const signin = $('signin');
  signin.setAttribute('aria-labelledby', 'signin-title');
  signin.innerHTML = SIGN_IN;
}

function markCurrentPage() {
  const here = location.pathname.replace(/\/$/, '') || '/ui';
  for (const link of document.querySelectorAll('.topbar nav a')) {
    const target = new URL(link.href).pathname.replace(/\/$/, '');
    if (target === here) link.setAttribute('aria-current', 'page');
  }
}

function showSignIn(message, kind = 'error') {
  $('app').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  const box = $('signin-message');
  box.className = `msg ${kind}`;
  box.textContent = message || '';
  $('token-input').focus();
}

async function loadViewer() {
  const { data, errors } = await gql(VIEWER_QUERY);
  const viewer = data?.viewer;
  if (!viewer || errors.length) throw new Error(errors[0]?.message || 'The server did not say who you are.');
  if (viewer.kind === 'ANONYMOUS') throw new AuthError('UNAUTHENTICATED', 'This token was not accepted.');
  if (viewer.kind === 'FEEDBACK_TOKEN') {
    throw new AuthError('FORBIDDEN', 'That is a feedback token: it can only be used by the feedback widget. Paste a user token or an API key.');
  }
  return viewer;
}

function showViewer(viewer) {
  const who = viewer.user?.displayName || viewer.user?.email || (viewer.kind === 'API_KEY' ? 'API key' : viewer.kind);
  const org = viewer.organization?.name || viewer.organization?.slug || '';
  $('who-name').textContent = `${who} · ${org} · ${viewer.role}`;
  $('who').hidden = false;
  $('signin').hidden = true;
  $('app').hidden = false;
}

/** What went wrong with a session mid-page: back to sign-in, or a message where it happened. */
export function handleAuthError(error, messageBox) {
  if (error instanceof AuthError && error.code === 'UNAUTHENTICATED') {
    clearToken();
    showSignIn(`${error.message}`);
    return true;
  }
  if (messageBox) {
    messageBox.className = 'msg error';
    messageBox.textContent = error.message;
  }
  return false;
}

/**
 * Show the sign-in form until a token works, then call `onReady(viewer)` once.
 * The token stays in sessionStorage (this tab only) under `learnloop.token`.
 */
export function startSession(onReady) {
  renderChrome();
  markCurrentPage();
  let started = false;
  const ready = (viewer) => {
    if (started) {
      // Signed in again after the token was refused mid-page: start afresh (sockets, timers).
      location.reload();
      return;
    }
    started = true;
    showViewer(viewer);
    onReady(viewer);
  };
  const verify = async () => {
    try {
      ready(await loadViewer());
    } catch (error) {
      if (error instanceof AuthError) {
        clearToken();
        const hint =
          error.code === 'UNAUTHENTICATED'
            ? 'This token or API key was not accepted (HTTP 401): it may be mistyped, expired or revoked. Create a new one with `learnloop token --org <slug> --role <role>`.'
            : `Signed in, but not allowed (HTTP 403): ${error.message}`;
        showSignIn(hint);
      } else {
        showSignIn(error.message);
      }
    }
  };
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = normaliseToken($('token-input').value);
    if (!token) {
      showSignIn('Paste a token or an API key first.');
      return;
    }
    $('token-input').value = '';
    setToken(token);
    verify();
  });
  $('signout').addEventListener('click', () => {
    clearToken();
    // A fresh page drops every socket and cached number of the old session.
    location.reload();
  });
  if (getToken()) verify();
  else showSignIn('', 'info');
}
