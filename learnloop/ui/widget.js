// <learnloop-feedback>: an embeddable feedback form for one agent execution.
//
//   <script src="https://learnloop.example.com/ui/widget.js" defer></script>
//   <learnloop-feedback token="<from createFeedbackToken>" agent-id="agent-456" execution-id="exec-123">
//   </learnloop-feedback>
//
// Thumbs are sent at once; stars, the four dimensions, issue categories, text and a correction are
// sent together with "Send feedback". It posts `submitFeedback` to /graphql on the server the
// script came from (or `endpoint="..."`) with the feedback token, which allows nothing else, and
// fires a `learnloop-feedback` event (detail: {feedback, learningExample}) after each success.
(() => {
  'use strict';
  if (customElements.get('learnloop-feedback')) return;

  const SCRIPT_ORIGIN = document.currentScript ? new URL(document.currentScript.src).origin : location.origin;
  const SUBMIT = `mutation LearnloopWidget($input: SubmitFeedbackInput!) {
    submitFeedback(input: $input) {
      feedback { id feedbackType }
      learningExample { id exampleType reviewStatus }
      userErrors { field message code }
    }
  }`;
  const DIMENSIONS = [['accuracy', 'Accuracy'], ['helpfulness', 'Helpfulness'], ['clarity', 'Clarity'], ['completeness', 'Completeness']];
  const ISSUES = [['INCORRECT', 'Incorrect'], ['INCOMPLETE', 'Incomplete'], ['UNCLEAR', 'Unclear'], ['HALLUCINATION', 'Made things up'],
    ['OFF_TOPIC', 'Off topic'], ['UNSAFE', 'Unsafe'], ['FORMATTING', 'Formatting'], ['OTHER', 'Other']];

  const CSS = `
    :host { display: block; font: 15px/1.45 system-ui, sans-serif; color: #1f2937; --ll-accent: #1d4ed8; }
    form { border: 1px solid #d1d5db; border-radius: 8px; padding: 0.9rem 1rem; background: #fff; max-width: 36rem; }
    fieldset { border: 0; margin: 0 0 0.8rem; padding: 0; min-width: 0; }
    legend, .q { font-weight: 600; margin-bottom: 0.3rem; padding: 0; }
    .row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
    button { font: inherit; cursor: pointer; border-radius: 6px; padding: 0.35rem 0.8rem; border: 1px solid var(--ll-accent); background: #fff; color: var(--ll-accent); }
    button[aria-pressed="true"] { background: var(--ll-accent); color: #fff; }
    button.send { background: var(--ll-accent); color: #fff; }
    button:disabled { opacity: 0.6; cursor: wait; }
    :focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
    .stars { display: inline-flex; gap: 0.1rem; }
    .stars input { position: absolute; opacity: 0; width: 1px; height: 1px; }
    .stars label { font-size: 1.6rem; line-height: 1; color: #6b7280; cursor: pointer; padding: 0 0.1rem; }
    .stars label.on { color: #b45309; }
    .stars input:focus-visible + label { outline: 3px solid #f59e0b; }
    .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    .dims { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 10rem), 1fr)); gap: 0.4rem 1rem; }
    .dims label { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; }
    .issues { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 9rem), 1fr)); gap: 0.2rem 1rem; }
    .thumb svg { width: 1.1em; height: 1.1em; vertical-align: -0.2em; margin-right: 0.3em; fill: currentColor; }
    .thumb[value="THUMBS_DOWN"] svg { transform: rotate(180deg); }
    select, textarea { font: inherit; color: inherit; border: 1px solid #6b7280; border-radius: 6px; padding: 0.3rem; background: #fff; }
    textarea { width: 100%; box-sizing: border-box; min-height: 4rem; resize: vertical; }
    .field { display: block; margin-bottom: 0.7rem; }
    .field span { display: block; font-weight: 600; margin-bottom: 0.2rem; }
    details { margin: 0 0 0.8rem; }
    summary { cursor: pointer; color: var(--ll-accent); margin-bottom: 0.6rem; }
    .status { margin: 0.6rem 0 0; min-height: 1.4em; }
    .status.error { color: #991b1b; }
    .status.ok { color: #166534; }
  `;

  // Material Icons "thumb_up" (Apache-2.0): drawn, so no emoji font is needed.
  const THUMB = 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z';

  function thumbIcon() {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', THUMB);
    svg.append(path);
    return svg;
  }

  function uid() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function node(tag, props = {}, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key in element) element[key] = value;
      else element.setAttribute(key, value);
    }
    element.append(...children);
    return element;
  }

  class LearnloopFeedback extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      if ('adoptedStyleSheets' in this.root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
        // A constructed sheet works under the embedding page's CSP, unlike a <style> element.
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        this.root.adoptedStyleSheets = [sheet];
      } else {
        this.root.append(node('style', { textContent: CSS }));
      }
      this.rating = null;
      this.build();
    }

    get endpoint() {
      return this.getAttribute('endpoint') || `${SCRIPT_ORIGIN}/graphql`;
    }

    build() {
      const n = Math.random().toString(36).slice(2, 8); // ids unique per widget on a page
      this.thumbs = ['THUMBS_UP', 'THUMBS_DOWN'].map((type) =>
        node('button', { type: 'button', className: 'thumb', 'aria-pressed': 'false', value: type }, thumbIcon(), type === 'THUMBS_UP' ? 'Yes' : 'No'));
      this.thumbs.forEach((b) => b.addEventListener('click', () => this.thumb(b)));
      const stars = node('span', { className: 'stars' });
      this.starLabels = [];
      for (let value = 1; value <= 5; value++) {
        const id = `ll-${n}-star-${value}`;
        const input = node('input', { type: 'radio', name: `ll-${n}-rating`, id, value: String(value) });
        const label = node('label', { htmlFor: id }, node('span', { 'aria-hidden': 'true', textContent: '★' }),
          node('span', { className: 'sr', textContent: `${value} star${value > 1 ? 's' : ''}` }));
        input.addEventListener('change', () => this.rate(value));
        this.starLabels.push(label);
        stars.append(input, label);
      }
      this.dims = DIMENSIONS.map(([key, label]) => {
        const select = node('select', { name: key }, node('option', { value: '', textContent: '–' }),
          ...[1, 2, 3, 4, 5].map((v) => node('option', { value: String(v), textContent: String(v) })));
        return [key, select, node('label', {}, label, select)];
      });
      this.issues = ISSUES.map(([value, label]) => {
        const box = node('input', { type: 'checkbox', value });
        return [box, node('label', {}, box, ` ${label}`)];
      });
      this.text = node('textarea', { name: 'feedbackText', rows: 3 });
      this.correction = node('textarea', { name: 'correctionText', rows: 3 });
      this.send = node('button', { type: 'submit', className: 'send', textContent: 'Send feedback' });
      this.status = node('p', { className: 'status', role: 'status' });
      const form = node('form', { 'aria-label': 'Feedback on this answer' },
        node('div', { className: 'row', role: 'group', 'aria-label': 'Was this answer helpful?' },
          node('span', { className: 'q', 'aria-hidden': 'true', textContent: 'Was this answer helpful?' }), ...this.thumbs),
        node('fieldset', {}, node('legend', { textContent: 'Your rating' }), stars),
        node('details', {},
          node('summary', { textContent: 'Tell us more' }),
          node('fieldset', {}, node('legend', { textContent: 'How was it? (1 poor – 5 great)' }),
            node('div', { className: 'dims' }, ...this.dims.map(([, , label]) => label))),
          node('fieldset', {}, node('legend', { textContent: 'What went wrong?' }),
            node('div', { className: 'issues' }, ...this.issues.map(([, label]) => label))),
          node('label', { className: 'field' }, node('span', { textContent: 'Comments' }), this.text),
          node('label', { className: 'field' }, node('span', { textContent: 'A better answer (your correction)' }), this.correction)),
        this.send, this.status);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        this.submitForm();
      });
      this.root.append(form);
    }

    rate(value) {
      this.rating = value;
      this.starLabels.forEach((label, i) => label.classList.toggle('on', i < value));
    }

    say(text, kind = '') {
      this.status.className = `status ${kind}`;
      this.status.textContent = text;
    }

    async thumb(button) {
      const sent = await this.post({ feedbackType: button.value });
      if (sent) this.thumbs.forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
    }

    async submitForm() {
      const input = {};
      const dimensions = {};
      for (const [key, select] of this.dims) if (select.value) dimensions[key] = Number(select.value);
      const issues = this.issues.filter(([box]) => box.checked).map(([box]) => box.value);
      const text = this.text.value.trim();
      const correction = this.correction.value.trim();
      if (this.rating) input.rating = this.rating;
      if (Object.keys(dimensions).length) input.dimensions = dimensions;
      if (issues.length) input.issueCategories = issues;
      if (text) input.feedbackText = text;
      if (correction) input.correctionText = correction;
      // The most specific kind the content supports: it decides how the feedback is counted.
      input.feedbackType = correction ? 'CORRECTION'
        : issues.length ? 'REPORT_ISSUE'
          : text || input.dimensions ? 'DETAILED_FEEDBACK'
            : this.rating ? 'STAR_RATING' : null;
      if (!input.feedbackType) {
        this.say('Choose a rating or write something first.', 'error');
        return;
      }
      if (await this.post(input)) {
        this.text.value = '';
        this.correction.value = '';
      }
    }

    async post(fields) {
      const token = this.getAttribute('token');
      const agentId = this.getAttribute('agent-id');
      const executionId = this.getAttribute('execution-id');
      if (!token || !agentId || !executionId) {
        this.say('This feedback form is not set up (token, agent-id and execution-id are needed).', 'error');
        return false;
      }
      const input = { agentId, executionId, idempotencyKey: uid(), ...fields };
      this.send.disabled = true;
      this.say('Sending…');
      try {
        const response = await fetch(this.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: SUBMIT, variables: { input } }),
        });
        const body = await response.json().catch(() => null);
        const code = body?.errors?.[0]?.extensions?.code;
        if (response.status === 401 || response.status === 403 || code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
          this.say('This feedback form has expired. Reload the page to give feedback.', 'error');
          return false;
        }
        const payload = body?.data?.submitFeedback;
        if (!payload) {
          this.say(body?.errors?.[0]?.message || `Feedback could not be sent (HTTP ${response.status}).`, 'error');
          return false;
        }
        if (payload.userErrors.length) {
          this.say(payload.userErrors.map((e) => e.message).join(' '), 'error');
          return false;
        }
        this.say(payload.learningExample ? 'Thank you! Your correction will be reviewed.' : 'Thank you for your feedback!', 'ok');
        this.dispatchEvent(new CustomEvent('learnloop-feedback', {
          detail: { feedback: payload.feedback, learningExample: payload.learningExample }, bubbles: true, composed: true,
        }));
        return true;
      } catch {
        this.say('Feedback could not be sent: the server cannot be reached. Try again.', 'error');
        return false;
      } finally {
        this.send.disabled = false;
      }
    }
  }

  customElements.define('learnloop-feedback', LearnloopFeedback);
})();
