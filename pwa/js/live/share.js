/* "Let someone join": a one-meeting join code with its link and QR code, and "Revoke". */
import { api } from '../api.js';
import { getValue, setValue } from '../db.js';
import { handleError } from '../ui/toasts.js';

const $ = (id) => document.getElementById(id);
let current = null;
let meeting = null;

function showCode(code) {
  $('share-status').textContent = 'Ask them to scan this, or open the link and type the code.';
  $('share-code').textContent = code.code;
  $('share-url').textContent = code.url;
  $('share-url').href = code.url;
  $('share-qr').src = code.qr_svg_data_url;
  $('share-expires').textContent = `Works until ${new Date(code.expires_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}.`;
  $('share-details').hidden = false;
  $('share-revoke').hidden = false;
}

/** Open the sheet, reusing this meeting's live code or making one. */
export async function openShare(meetingId) {
  meeting = meetingId;
  $('share-details').hidden = true;
  $('share-revoke').hidden = true;
  $('share-sheet').showModal();
  current = await getValue(`join_code:${meetingId}`);
  if (current && Date.parse(current.expires_at) > Date.now()) {
    showCode(current);
    return;
  }
  if (!navigator.onLine) {
    $('share-status').textContent = 'This needs a connection. Try again when you have signal.';
    return;
  }
  $('share-status').textContent = 'Making a code…';
  try {
    current = await api(`/api/v1/meetings/${meetingId}/join-codes`, { method: 'POST', body: { minutes: 240 } });
    await setValue(`join_code:${meetingId}`, current);
    showCode(current);
  } catch (err) {
    $('share-status').textContent = 'Could not make a code.';
    handleError(err);
  }
}

$('share-revoke').addEventListener('click', async () => {
  if (!current) return;
  try {
    await api(`/api/v1/meetings/${meeting}/join-codes/${current.id}`, { method: 'DELETE' });
    await setValue(`join_code:${meeting}`, null);
    current = null;
    $('share-details').hidden = true;
    $('share-revoke').hidden = true;
    $('share-status').textContent = 'Revoked: that code no longer works, and anyone who joined with it is out.';
  } catch (err) {
    handleError(err, 'Could not revoke the code.');
  }
});
