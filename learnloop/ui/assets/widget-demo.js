// Widget demo: record an execution, get a feedback token for it, mount <learnloop-feedback>.

import { mutate, describeUserError } from './api.js';
import { $, el, showMessage } from './dom.js';
import { handleAuthError, startSession } from './session.js';

const RECORD = `mutation Record($input: RecordExecutionInput!) {
  recordExecution(input: $input) { outcome userErrors { field message code } }
}`;
const TOKEN = `mutation FeedbackToken($input: CreateFeedbackTokenInput!) {
  createFeedbackToken(input: $input) { token expiresAt userErrors { field message code } }
}`;

function snippet(agentId, executionId) {
  return `<script src="${location.origin}/ui/widget.js" defer></script>\n` +
    `<learnloop-feedback token="<createFeedbackToken token>"\n    agent-id="${agentId}" execution-id="${executionId}">\n</learnloop-feedback>`;
}

async function open(event) {
  event.preventDefault();
  const box = $('setup-message');
  showMessage(box, '');
  const agentId = $('agent-id').value.trim();
  const executionId = $('execution-id').value.trim();
  try {
    const recorded = await mutate(RECORD, {
      input: {
        agentId, executionId, input: $('exec-input').value, output: $('exec-output').value,
        domain: $('exec-domain').value.trim() || null,
      },
    }, 'recordExecution');
    if (recorded.userErrors.length) {
      showMessage(box, recorded.userErrors.map(describeUserError).join(' '));
      return;
    }
    const issued = await mutate(TOKEN, { input: { agentId, executionId, expiresInSeconds: 3600 } }, 'createFeedbackToken');
    if (issued.userErrors.length) {
      showMessage(box, issued.userErrors.map(describeUserError).join(' '));
      return;
    }
    const widget = el('learnloop-feedback', { token: issued.token, 'agent-id': agentId, 'execution-id': executionId });
    widget.addEventListener('learnloop-feedback', (e) => {
      const { feedback, learningExample } = e.detail;
      showMessage($('widget-events'),
        `Stored ${feedback.feedbackType} feedback${learningExample ? ` and a ${learningExample.exampleType} learning example (${learningExample.reviewStatus})` : ''}.`, 'ok');
    });
    $('widget-slot').replaceChildren(widget);
    $('widget-placeholder').hidden = true;
    $('snippet').textContent = snippet(agentId, executionId);
  } catch (error) {
    handleAuthError(error, box);
  }
}

startSession(() => {
  $('execution-id').value = `demo-${Date.now().toString(36)}`;
  $('snippet').textContent = snippet('agent-456', 'exec-123');
  $('setup').addEventListener('submit', open);
});
