/* Review page, in steps: 1 play from a line and check the points from the recording; 2 the minutes as cards
   edited in place, the whole text (with a live preview) as an advanced option, redraft. Step 3 is the send
   page. */
import { api, ApiError } from './api.js';
import { show } from './ui/toasts.js';
import { livePreview } from './review/preview.js';
import { mountPlayer } from './review/player.js';
import { mountPoints } from './review/points.js';
import { mountCards } from './review/cards.js';

const root = document.querySelector('[data-review]');

function handleError(error) {
  console.error(error);
  show(error instanceof ApiError ? error.message : 'That did not work. Check your connection and try again.', {
    isError: true,
  });
}

function mountEditor(base, refreshCards) {
  const textarea = document.getElementById('minutes-md');
  const preview = document.getElementById('minutes-preview');
  const status = document.getElementById('minutes-status');
  const conflicts = document.getElementById('conflicts');
  if (!textarea) return;
  const refresh = livePreview(textarea, preview, `${base}/minutes/preview`);
  let saved = textarea.value;

  // the cards are drawn again from the server; the text box and the preview take the new version
  const setMinutes = async (minutes) => {
    textarea.value = minutes.markdown;
    textarea.dataset.version = minutes.version;
    saved = minutes.markdown;
    preview.innerHTML = minutes.html; // sanitised on the server (nh3)
    document.getElementById('minutes-version').textContent = minutes.version;
    await refreshCards();
  };

  /** Save the whole minutes (the text box's, or a card's put back among the others) as a new version. */
  const saveText = async (markdown) => {
    const minutes = await api(`${base}/minutes`, {
      method: 'PUT',
      body: { markdown, base_version: Number(textarea.dataset.version) },
    });
    await setMinutes(minutes);
    status.textContent = `Saved as version ${minutes.version}.`;
  };

  const save = async () => {
    if (textarea.value === saved) return false;
    await saveText(textarea.value);
    return true;
  };

  document.getElementById('save-minutes').addEventListener('click', async () => {
    try {
      if (!(await save())) status.textContent = 'No changes to save.';
    } catch (error) {
      handleError(error);
    }
  });

  const redraft = async (replace) => {
    const minutes = await api(`${base}/minutes`, { method: 'POST', body: { replace } });
    await setMinutes(minutes);
    conflicts.hidden = true;
    conflicts.replaceChildren();
    const kept = minutes.conflicts.length
      ? ` Your edits were kept in: ${minutes.conflicts.join('; ')}.`
      : '';
    status.textContent = `Redrafted as version ${minutes.version}.${kept}`;
  };

  // resolves true once redrafted, false while the parent is asked about the sections both changed
  const redraftFromMeeting = async () => {
    await save();
    const plan = await api(`${base}/minutes`, { method: 'POST', body: { dry_run: true } });
    if (!plan.conflicts.length) {
      await redraft([]);
      return true;
    }
    // both you and the new draft changed these sections: say so and let the parent choose
    conflicts.replaceChildren();
    const heading = document.createElement('h3');
    heading.textContent = 'You edited sections that the new draft also changes';
    const list = document.createElement('ul');
    for (const key of plan.conflicts) {
      const li = document.createElement('li');
      li.textContent = key;
      list.append(li);
    }
    const actions = document.createElement('p');
    actions.className = 'actions';
    const keep = document.createElement('button');
    keep.type = 'button';
    keep.className = 'primary';
    keep.textContent = 'Keep my edits there';
    const replace = document.createElement('button');
    replace.type = 'button';
    replace.textContent = 'Replace them with the new draft';
    keep.addEventListener('click', () => redraft([]).catch(handleError));
    replace.addEventListener('click', () => redraft(plan.conflicts).catch(handleError));
    actions.append(keep, replace);
    conflicts.append(heading, list, actions);
    conflicts.hidden = false;
    keep.focus();
    return false;
  };

  document.getElementById('redraft').addEventListener('click', () => redraftFromMeeting().catch(handleError));

  window.addEventListener('beforeunload', (event) => {
    if (textarea.value !== saved) event.preventDefault();
  });
  return { refresh, redraft: redraftFromMeeting, saveText };
}

if (root) {
  const base = root.dataset.api;
  // back from fixing a marker (#marker-…): open the disclosure it sits in, where the browser does not
  const target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  target?.closest('details')?.setAttribute('open', '');
  mountPlayer(root, document.getElementById('player'), (recording) => `${base}/recordings/${recording}/audio`);
  const cards = document.getElementById('draft');
  let refreshCards = async () => {};
  const editor = mountEditor(base, () => refreshCards());
  if (cards && editor) {
    refreshCards = mountCards(cards, window.location.pathname, { save: editor.saveText, onError: handleError });
  }
  const points = document.querySelector('[data-points]');
  if (points && editor) mountPoints(points, base, { redraft: editor.redraft, onError: handleError });
}
