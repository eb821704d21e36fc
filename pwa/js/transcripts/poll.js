/**
 * Transcript page: while transcription is queued or running, poll the
 * transcript JSON and update the progress line; offer to show new text.
 */
const POLL_MS = 4000;

function minutes(ms) {
  return Math.ceil((ms || 0) / 60000);
}

function describe(t) {
  if (t.status === 'failed') return 'Transcription stopped. Reload the page to retry.';
  if (t.status === 'done') return 'The transcript is complete.';
  if (t.status === 'queued') return 'Waiting to start transcribing.';
  return `Transcribing: ${minutes(t.processed_ms)} of ${minutes(t.total_ms)} minutes.`;
}

async function poll(section) {
  const url = section.dataset.transcriptUrl;
  const text = section.querySelector('[data-status-text]');
  const bar = section.querySelector('progress');
  const hint = section.querySelector('[data-reload-hint]');
  let shown = document.querySelectorAll('.transcript .segment').length;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    let t;
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      t = await response.json();
    } catch (error) {
      console.error('transcript poll failed', error);
      continue;
    }
    text.textContent = describe(t);
    bar.value = t.progress;
    if (hint && t.segments.length > shown) hint.hidden = false;
    if (t.status === 'done' || t.status === 'failed') {
      if (t.segments.length !== shown || t.status === 'failed') window.location.reload();
      return;
    }
  }
}

const section = document.getElementById('transcript-status');
if (section && (section.dataset.status === 'queued' || section.dataset.status === 'running')) {
  poll(section);
}
